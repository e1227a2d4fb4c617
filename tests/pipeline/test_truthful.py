"""Truthful data: negatives, views that obey verification, problem identity, per-task traces and
honest exits, on real runs read back with datasets.load_dataset."""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from datasets import load_dataset

import cotsynth

from cotsynth import tasks
from cotsynth.config import ConfigError, parse_config
from cotsynth.core.graph import Node, StepGraph, Subgoal
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.tasks.templates import QuestionTemplate
from cotsynth.pipeline.run import RunOptions, run_pipeline

DOC = {
    "name": "truthful",
    "seed": 7,
    "tasks": [
        {"family": "arith", "count": 120, "knobs": {"steps": [2, 5], "digits": [1, 2]}},
        {"name": "hops", "family": "kg_compose", "count": 60, "knobs": {"hops": [1, 3]}},
        {"name": "rules", "family": "rewrite", "count": 60},
    ],
    "traces": [{"source": "symbolic", "granularity": ["answer", "coarse", "fine"], "negatives": 1}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unused", "shard_rows": 400, "formats": ["sft", "rl", "prm"]},
}


def run(doc: dict, out: Path, **options) -> dict:
    return run_pipeline(parse_config(doc), RunOptions(out_dir=out, **options))


def every_config(out: Path) -> dict:
    """Each config the card declares, loaded with datasets (fails on a 0-row or undeclared shard); a
    cache of its own, as datasets may reuse a cache made for another folder at the same path."""
    header = yaml.safe_load((out / "README.md").read_text().split("---")[1])
    cache = str(out.parent / f"{out.name}-hf-cache")
    return {c["config_name"]: load_dataset(str(out), c["config_name"], cache_dir=cache) for c in header["configs"]}


def shard_digest(out: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(out.glob("*/*.parquet")):
        digest.update(path.relative_to(out).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def run_and_load(tmp_path_factory, doc: dict, folder: str) -> tuple[Path, dict, dict]:
    out = tmp_path_factory.mktemp(folder) / "out"
    manifest = run(doc, out, executor="local")
    return out, manifest, every_config(out)


def records_and_negatives(loaded: dict) -> tuple[list[dict], list[dict]]:
    records = [r for split in loaded["default"].values() for r in split]
    return records, [r for r in records if r["source"] == "negative"]


@pytest.fixture(scope="module")
def negatives_run(tmp_path_factory):
    return run_and_load(tmp_path_factory, DOC, "neg")


def test_negatives_carry_one_error_labelled_from_its_step(negatives_run):
    out, manifest, loaded = negatives_run
    records, negatives = records_and_negatives(loaded)
    assert {r["family"] for r in negatives} == {"arith", "kg_compose", "rewrite"}
    kinds = set()
    for r in negatives:
        meta = json.loads(r["meta"])
        step, kinds = meta["error"]["step"], kinds | {meta["error"]["kind"]}
        assert not r["verified"] and r["granularity"] == "fine" and r["sample_index"] == 1
        assert r["step_labels"] == [k < step for k in range(len(r["cot_steps"]))]
        assert meta["predicted_answer"] != r["answer"]
        # the steps before the error are the correct fine trace's
        fine = next(x for x in records if x["id"] == r["id"].replace("/negative/1", "/symbolic/0"))
        assert r["cot_steps"][:step] == fine["cot_steps"][:step] and r["cot_steps"][step] != fine["cot_steps"][step]
    assert len(kinds) >= 4
    share = sum(c["prm_false_labels"] for c in manifest["counts"]["splits"].values()) / \
        sum(c["prm_labels"] for c in manifest["counts"]["splits"].values())
    assert 0.1 < share < 0.6


def test_views_obey_verification(negatives_run):
    out, manifest, loaded = negatives_run
    records = {r["id"]: r for split in loaded["default"].values() for r in split}
    sft_ids = [r["id"] for split in loaded["sft"].values() for r in split]
    assert sft_ids and all(records[i]["verified"] for i in sft_ids)
    assert len(sft_ids) == sum(r["verified"] for r in records.values())
    prm = [r for split in loaded["prm"].values() for r in split]
    assert any(r["id"].endswith("/negative/1") for r in prm)
    assert all(r["labels"] == records[r["id"]]["step_labels"] for r in prm)
    card = (out / "README.md").read_text()
    assert f"`sft`: {len(sft_ids)} rows, one per verified record" in card
    table = card.split("## Contents")[1].split("\n\n")[1].splitlines()
    assert len(table) == 2 + len(manifest["counts"]["splits"]) and all(line.startswith("|") for line in table)


def test_coarse_differs_and_the_report_says_so(negatives_run):
    out, _, _ = negatives_run
    report = json.loads((out / "report.json").read_text())
    assert report["granularity"]["problems_with_3_fine_steps"] > 20
    assert report["granularity"]["coarse_equals_fine_share"] <= 0.05


def test_negatives_are_deterministic_whatever_the_executor(negatives_run, ray_session, tmp_path):
    out, _, _ = negatives_run
    again = tmp_path / "ray"
    run(DOC, again, executor="ray", workers=2)
    assert shard_digest(again) == shard_digest(out)


def test_stop_at_first_error_cuts_prm_rows(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["tasks"] = doc["tasks"][:1]
    doc["output"]["prm"] = {"stop_at_first_error": True}
    run(doc, tmp_path / "out", executor="local")
    prm = [r for split in every_config(tmp_path / "out")["prm"].values() for r in split]
    cut = [r for r in prm if False in r["labels"]]
    assert cut and all(r["labels"][-1] is False and r["labels"].count(False) == 1 for r in cut)


class Echo(TaskFamily):
    """A family with no error model: its one step restates a word (no operation, fact or rule)."""

    name = "test_echo"
    description = "say the word back"
    answer_type = "string"
    knobs: dict = {}
    granularities = ("answer", "fine")

    def templates(self, allowed=None):
        return (QuestionTemplate("test_echo/plain", "plain", "Say {{ word }} back."),)

    def generate(self, rng, knobs):
        word = f"w{rng.randrange(10**9)}"
        node = Node("e", "echo", (word,), word, f"The word is {word}.", "What is the word?", 0)
        return Generated({"word": word}, word, StepGraph([node], [Subgoal(0, ("e",), node.text, node.question, word)], "e"))

    def recompute_answer(self, graph):
        return graph.nodes[0].inputs[0]

    def check_step(self, graph, step, node_ids):
        return step == graph.node(node_ids[-1]).text, "restates the word"


def test_negatives_need_an_error_model_and_per_task_traces_fix_it(tmp_path):
    if "test_echo" not in tasks.names():
        tasks.add(Echo())
    doc = copy.deepcopy(DOC)
    doc["tasks"].append({"family": "sort", "count": 30})
    parse_config(doc)  # sort has an error model now
    doc["tasks"][-1] = {"family": "test_echo", "count": 30}
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert any(line.startswith("traces[0].negatives: family 'test_echo' has no error model")
               for line in err.value.problems)
    doc["tasks"][-1]["traces"] = [{"source": "symbolic", "granularity": ["fine"]}]
    doc["tasks"] = doc["tasks"][-2:]
    doc["traces"][0]["granularity"] = ["fine", "code"]
    with pytest.raises(ConfigError) as err:  # rewrite has no `code`
        parse_config(doc)
    assert any("tasks[0]" not in line and "'rewrite' has no ['code']" in line for line in err.value.problems)
    doc["tasks"][0]["traces"] = [{"source": "symbolic", "granularity": ["fine"], "negatives": 2}]
    doc["tasks"].insert(0, {"family": "arith", "count": 40})
    run(doc, tmp_path / "out", executor="local")
    rows = [r for split in every_config(tmp_path / "out")["default"].values() for r in split]
    by_task = {}
    for r in rows:
        by_task.setdefault(r["task"], set()).add((r["granularity"], r["source"]))
    assert by_task["arith"] == {("fine", "symbolic"), ("code", "symbolic"), ("fine", "negative")}
    assert by_task["rules"] == {("fine", "symbolic"), ("fine", "negative")}
    assert by_task["test_echo"] == {("fine", "symbolic")}
    assert {r["sample_index"] for r in rows if r["task"] == "rules" and r["source"] == "negative"} <= {1, 2}


TWO_HOP = {
    "name": "identity",
    "seed": 2025,
    "tasks": [{"name": "two_hop_n20", "family": "two_hop", "count": 400, "knobs": {"tokens": 6}},
              {"name": "two_hop_n50", "family": "two_hop", "count": 50, "knobs": {"tokens": 50}}],
    "traces": [{"source": "symbolic", "granularity": ["answer", "fine"]}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "diversity": {"dedup": "exact"},
    "output": {"dir": "unused", "formats": ["rl"]},
}


@pytest.mark.parametrize("dedup", ["exact", "problem"])
def test_no_problem_sits_in_two_splits(tmp_path, dedup):
    doc = copy.deepcopy(TWO_HOP)
    doc["diversity"]["dedup"] = dedup
    manifest = run(doc, tmp_path / "out", executor="local")
    default = every_config(tmp_path / "out")["default"]
    splits_of: dict[str, set] = {}
    for split, rows in default.items():
        for r in rows:
            splits_of.setdefault(r["problem_key"], set()).add(split)
            assert r["family"] == "two_hop" and r["task"] in ("two_hop_n20", "two_hop_n50")
    assert all(len(s) == 1 for s in splits_of.values())
    moved = manifest["counts"]["leakage"]["by_problem_key"]["moved"]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["leakage"]["by_problem_key"]["moved"] == moved
    if dedup == "exact":  # 216 inputs for 400 problems: many repeats under other templates
        assert moved > 0 and len(splits_of) < 400
        assert sum(1 for r in default["train"] if r["granularity"] == "answer") + \
            sum(1 for r in default["test"] if r["granularity"] == "answer") > len(splits_of)
    else:
        assert moved == 0 and manifest["counts"]["dedup"]["dropped_problems"] > 100
        keys = [r["problem_key"] for split in default.values() for r in split if r["granularity"] == "answer"]
        assert len(keys) == len(set(keys))


def test_problem_key_ignores_the_template_and_sees_the_inputs():
    from cotsynth import tasks
    from cotsynth.tasks.knobs import resolve_knobs

    family = tasks.get("two_hop")
    settings, templates = resolve_knobs(family.knobs, {"tokens": 4}), family.templates()
    problems = [family.build(1, "t", i, settings, templates) for i in range(200)]
    by_key: dict[str, set] = {}
    for p in problems:
        first, second = p.graph.nodes
        by_key.setdefault(family.problem_key(p), set()).add((*first.inputs, second.inputs[1]))
    assert all(len(inputs) == 1 for inputs in by_key.values())  # one key, one input triple
    assert len(by_key) == len({i for s in by_key.values() for i in s})
    templates_per_key = {}
    for p in problems:
        templates_per_key.setdefault(family.problem_key(p), set()).add(p.template_id)
    assert any(len(t) > 1 for t in templates_per_key.values())  # the same problem under two templates


def cli(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    """The CLI in a subprocess, importing the cotsynth under test whatever the working directory."""
    source = str(Path(cotsynth.__file__).resolve().parents[1])
    return subprocess.run([sys.executable, "-m", "cotsynth.cli", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=600, env={**os.environ, "PYTHONPATH": source, **env})


def test_a_run_keeping_nothing_exits_3_and_says_why(tmp_path):
    doc = {
        "name": "refused", "seed": 1,
        "tasks": [{"family": "arith", "count": 20}],
        "traces": [{"source": "teacher", "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "m"},
                    "max_retries": 0, "timeout": 5}],
        "splits": {"strategy": "iid", "test_fraction": 0.5},
        "output": {"dir": "out", "formats": ["sft"]},
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(doc))
    done = cli("run", "p.yaml", "--executor", "local", cwd=tmp_path)
    assert done.returncode == 3, done.stderr
    lines = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1 and "kept 0 rows: 20 teacher: failed: connection_refused" in lines[0], done.stderr


def test_empty_views_and_splits_are_not_declared(tmp_path):
    doc = copy.deepcopy(DOC)
    doc["tasks"] = doc["tasks"][:1]
    doc["traces"] = [{"source": "symbolic", "granularity": ["answer"]}]  # no steps: the prm view is empty
    doc["splits"]["validation_fraction"] = 0.05
    run(doc, tmp_path / "out", executor="local")
    loaded = every_config(tmp_path / "out")
    assert set(loaded) == {"default", "sft", "rl"} and not (tmp_path / "out" / "prm").exists()
    assert all(ds.num_rows > 0 for configs in loaded.values() for ds in configs.values())
    assert "prm/train" in (tmp_path / "out" / "README.md").read_text()


def test_report_draws_tables_in_a_terminal_and_markdown_in_a_pipe(negatives_run):
    out, _, _ = negatives_run
    piped = cli("report", str(out), cwd=out.parent)
    assert piped.returncode == 0 and "| --- | --- |" in piped.stdout
    terminal = cli("report", str(out), cwd=out.parent, FORCE_COLOR="1", COLUMNS="160")
    assert terminal.returncode == 0 and "| --- | --- |" not in terminal.stdout and "─" in terminal.stdout


# negatives of the families with an error model of their own, and of a decimal family file
MODELLED = ("sort", "scan", "poly", "linear_eq", "modular", "multiply", "list_ops", "kg_compare", "mixtures")
MODELLED_DOC = {
    "name": "negatives_families",
    "seed": 13,
    "tasks": [{"family": family, "count": 15} for family in MODELLED],
    "traces": [{"source": "symbolic", "granularity": ["answer", "fine"], "negatives": 1}],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unused", "shard_rows": 400, "formats": ["sft", "rl", "prm"]},
}


@pytest.fixture(scope="module")
def modelled_run(tmp_path_factory):
    return run_and_load(tmp_path_factory, MODELLED_DOC, "negfam")


def test_every_modelled_family_gets_negatives_that_prm_takes_and_sft_does_not(modelled_run):
    out, manifest, loaded = modelled_run
    negatives = {r["id"]: r for r in records_and_negatives(loaded)[1]}
    assert {r["family"] for r in negatives.values()} == set(MODELLED)
    for r in negatives.values():
        meta = json.loads(r["meta"])
        assert not r["verified"] and meta["predicted_answer"] != r["answer"]
        assert r["step_labels"] == [k < meta["error"]["step"] for k in range(len(r["cot_steps"]))]
    prm_ids = {r["id"] for split in loaded["prm"].values() for r in split}
    sft_ids = {r["id"] for split in loaded["sft"].values() for r in split}
    assert set(negatives) <= prm_ids and not set(negatives) & sft_ids
    counts = manifest["counts"]["splits"].values()
    share = sum(c["prm_false_labels"] for c in counts) / sum(c["prm_labels"] for c in counts)
    assert 0.15 < share < 0.5


def test_negatives_of_every_family_are_deterministic(modelled_run, tmp_path):
    out, _, _ = modelled_run
    run(MODELLED_DOC, tmp_path / "again", executor="local")
    assert shard_digest(tmp_path / "again") == shard_digest(out)
