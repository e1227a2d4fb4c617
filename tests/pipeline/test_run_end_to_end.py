"""A real run: real Ray and in-process, real Parquet, loaded back with `datasets`."""

from __future__ import annotations

import json
import re
from fractions import Fraction
from pathlib import Path

import jinja2
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from datasets import load_dataset

from cotsynth.cli import main
from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.schema import RECORD_SCHEMA

EXPRESSION = re.compile(r"[\d\s+\-*/()]{3,}")


def oracle(expression: str) -> Fraction:
    """An independent evaluator for the test: Python's own parser over Fractions, on a checked charset."""
    assert re.fullmatch(r"[\d\s+\-*/()]+", expression)
    return eval(re.sub(r"\d+", r"Fraction(\g<0>)", expression), {"Fraction": Fraction})  # noqa: S307


def run(config: dict, out: Path, **options) -> dict:
    return run_pipeline(parse_config(config), RunOptions(out_dir=out, **options))


def file_bytes(folder: Path) -> dict[str, bytes]:
    """The shards, the report (its sample metrics run on the Ray workers), the drops and the plots."""
    paths = [*folder.rglob("*.parquet"), *folder.glob("plots/*.png"), folder / "report.json", folder / "drops.jsonl"]
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(paths)}


@pytest.fixture(scope="module")
def local_run(tmp_path_factory, tiny_document):
    out = tmp_path_factory.mktemp("local") / "out"
    manifest = run(tiny_document, out, executor="local")
    return out, manifest


def test_loads_with_datasets_and_every_row_is_right(local_run, monkeypatch):
    out, manifest = local_run
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    dataset = load_dataset(str(out))
    assert set(dataset) == {"train", "test"}
    for split in ("train", "test"):
        assert dataset[split].num_rows == manifest["counts"]["splits"][split]["data"]
        table = pq.read_table(next((out / "data").glob(f"{split}-*.parquet")))
        assert table.schema.equals(RECORD_SCHEMA, check_metadata=False)
        for row in dataset[split]:
            assert row["split"] == split and row["verified"]
            expression = max(EXPRESSION.findall(row["question"]), key=len).strip().rstrip(".")
            assert oracle(expression) == Fraction(row["answer"])
            if row["granularity"] == "fine":
                assert row["step_labels"] == [True] * len(row["cot_steps"])
                for step in row["cot_steps"]:
                    lhs, rhs = step.split(": ", 1)[1].split(" = ")
                    assert oracle(lhs) == Fraction(rhs), step
                last = row["cot_steps"][-1].rsplit(" = ", 1)[1]
                assert Fraction(last) == Fraction(row["answer"])


CHATML = (  # the shape of a tokenizer chat template, as TRL's apply_chat_template renders it
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
)


def test_views_load_with_trainer_columns(local_run, monkeypatch):
    out, _ = local_run
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    sft = load_dataset(str(out), "sft")["train"]
    assert sft.features["messages"].feature["role"].dtype == "string"
    template = jinja2.Environment(undefined=jinja2.StrictUndefined).from_string(CHATML)
    for row in sft.select(range(20)):
        assert [m["role"] for m in row["messages"]] == ["user", "assistant"]
        rendered = template.render(messages=row["messages"])
        assert rendered.count("<|im_start|>") == 2 and "\\boxed{" in rendered
    rl = load_dataset(str(out), "rl")["train"]
    assert set(rl.column_names) == {"data_source", "prompt", "ability", "reward_model", "extra_info"}
    assert rl[0]["reward_model"]["style"] == "rule"
    prm = load_dataset(str(out), "prm")["test"]
    assert all(len(r["completions"]) == len(r["labels"]) for r in prm)


def test_manifest_and_card(local_run):
    out, manifest = local_run
    on_disk = json.loads((out / "manifest.json").read_text())
    assert on_disk["status"] == "complete" and on_disk["config_hash"] == manifest["config_hash"]
    counts = on_disk["counts"]
    assert counts["generate"]["problems"] == 120
    assert counts["verify"]["kept"] + counts["verify"]["dropped"] == counts["traces"]["rendered"] == 360
    kept = sum(s["problems"] for s in counts["splits"].values())
    assert kept == counts["select"]["kept_problems"]
    assert counts["dedup"]["kept_problems"] == 120 - counts["dedup"]["dropped_problems"]
    dropped = [json.loads(line) for line in (out / "drops.jsonl").read_text().splitlines()]
    problem_drops = counts["dedup"]["dropped_problems"] + counts["leakage"]["dropped"] + counts["select"]["dropped_problems"]
    assert len(dropped) == counts["verify"]["dropped"] + problem_drops
    assert kept == 120 - problem_drops
    assert all(d["reason"] for d in dropped)
    assert {"ray", "pyarrow", "datasets"} <= set(on_disk["versions"])
    card = (out / "README.md").read_text()
    assert card.startswith("---\nconfigs:") and "load_dataset" in card
    assert not (out / ".cotsynth").exists()


def test_shards_have_deterministic_names_and_sizes(local_run):
    out, manifest = local_run
    train = sorted((out / "data").glob("train-*.parquet"))
    rows = manifest["counts"]["splits"]["train"]["data"]
    expected = -(-rows // 100)
    assert [p.name for p in train] == [f"train-{i:05d}-of-{expected:05d}.parquet" for i in range(expected)]
    assert [pq.read_metadata(p).num_rows for p in train[:-1]] == [100] * (expected - 1)


def test_existing_output_dir_is_refused(tmp_path, write_yaml, tiny_config):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    tiny_config["output"]["dir"] = str(out)
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--executor", "local"])
    assert result.exit_code == 2
    assert "already exists" in result.output and "--overwrite" in result.output
    assert (out / "keep.txt").read_text() == "precious"
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--executor", "local", "--overwrite"])
    assert result.exit_code == 2 and "not made by cotsynth" in result.output  # --overwrite replaces only a run
    assert (out / "keep.txt").read_text() == "precious"
    (out / "keep.txt").unlink()
    for _ in range(2):
        result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--executor", "local", "--overwrite"])
        assert result.exit_code == 0, result.output
        assert (out / "manifest.json").exists()


def test_same_bytes_from_every_executor_and_worker_count(local_run, ray_session, tmp_path, tiny_document):
    local_out, _ = local_run
    expected = file_bytes(local_out)
    assert expected
    for workers in (1, 2):
        out = tmp_path / f"ray{workers}"
        manifest = run(tiny_document, out, executor="ray", workers=workers)
        assert manifest["run"]["executor"] == "ray" and manifest["run"]["workers"] == workers
        assert file_bytes(out) == expected, f"ray with {workers} workers differs from local"


def test_ray_cli_end_to_end(ray_session, tmp_path, write_yaml, tiny_config):
    tiny_config["output"]["dir"] = str(tmp_path / "cli-out")
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--workers", "2", "--limit", "40"])
    assert result.exit_code == 0, result.output
    assert "train" in result.output and "verified" in result.output
    manifest = json.loads((tmp_path / "cli-out" / "manifest.json").read_text())
    assert manifest["counts"]["generate"]["problems"] == 40 and manifest["run"]["executor"] == "ray"
