"""Dataset tasks: bad configs exit 2 naming the key, SIGKILL + --resume, Ray = local, splits, the shipped pipeline."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from dataset_docs import ROWS, dataset_document, write_jsonl
from test_resume_and_ray import cached_answers, parquet_bytes

from cotsynth.cli import main
from cotsynth.config import load_config, parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.teacher.sim import SimKnobs, problems_of, start_sim

UNIQUE = ROWS[:-1]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: d["tasks"][0]["dataset"].update(path="missing.jsonl"), "tasks[0].dataset.path: no file missing.jsonl"),
    (lambda d: d["tasks"][0]["dataset"].update(question="prompt"), "tasks[0].dataset.question: no column 'prompt'"),
    (lambda d: d["tasks"][0]["dataset"].update(id="row_id"), "tasks[0].dataset.id: no column 'row_id'"),
    (lambda d: d["tasks"][0]["dataset"].update(answer_extract="regex"), "tasks[0].dataset.answer_extract: Input should be"),
    (lambda d: d["tasks"][0]["dataset"].update(answer_extract="boxed"),
     "tasks[0].dataset.answer_extract: boxed reads no gold from column 'solution' in the first 20 rows"),
    (lambda d: d["traces"].append({"source": "symbolic"}), "traces[1].source: `symbolic` traces need a step graph"),
    (lambda d: d["tasks"][0].pop("name"), "tasks[0]: a dataset task needs a `name`"),
    (lambda d: d["tasks"][0].update(family="arith"), "tasks[0]: give either `family` or `dataset`"),
])
def test_bad_dataset_config_exits_2_naming_the_key(tmp_path, mutate, expected):
    write_jsonl(tmp_path / "rows.jsonl")
    doc = dataset_document("rows.jsonl")  # relative: to the pipeline file's folder
    mutate(doc)
    pipeline = tmp_path / "pipeline.yaml"
    pipeline.write_text(yaml.safe_dump(doc))
    result = CliRunner().invoke(main, ["run", str(pipeline), "--executor", "local", "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "cotsynth.cli", "run", *args, "--executor", "local"]


def test_sigkill_then_resume_gives_the_same_bytes(tmp_path):
    rows = [dict(r, uid=f"{r['uid']}-{k}", problem=f"{r['problem']} (copy {k})") for k in range(4) for r in UNIQUE]
    write_jsonl(tmp_path / "rows.jsonl", rows)  # 112 rows: two work units
    doc = dataset_document("rows.jsonl", max_concurrency=4, samples=1, step_labels="rollouts",
                           rollouts={"per_step": 1, "max_steps": 4})
    config = parse_config(doc, base_dir=tmp_path)
    with start_sim(config, SimKnobs(seed=2, latency_ms=10, p_wrong_step=0.3)) as sim:
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        pipeline = tmp_path / "pipeline.yaml"
        pipeline.write_text(yaml.safe_dump(doc))
        out = tmp_path / "killed"
        child = subprocess.Popen(cli(str(pipeline), "--out", str(out)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        while cached_answers(out) < len(rows) // 2:
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            time.sleep(0.01)
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert not (out / "manifest.json").exists()
        resumed = subprocess.run(cli(str(pipeline), "--out", str(out), "--resume"), capture_output=True, text=True)
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        reference = tmp_path / "reference"
        run_pipeline(load_config(pipeline, {"dir": str(reference)}), RunOptions(out_dir=reference, executor="local"))
    assert parquet_bytes(out) == parquet_bytes(reference)
    assert (out / "drops.jsonl").read_bytes() == (reference / "drops.jsonl").read_bytes()


def test_ray_equals_local(tmp_path, ray_session):
    rows = [dict(r, uid=f"{r['uid']}-{k}", problem=f"{r['problem']} (copy {k})") for k in range(4) for r in ROWS]
    write_jsonl(tmp_path / "rows.jsonl", rows)  # 116 rows: two work units
    # relative to the pipeline's folder, which the actors are told (their working dir is elsewhere)
    doc = dataset_document("rows.jsonl", samples=1, step_labels="rollouts", rollouts={"per_step": 1, "max_steps": 4})
    outputs = {}
    with start_sim(parse_config(doc, base_dir=tmp_path), SimKnobs(seed=4, p_wrong_step=0.2, p_429=0.05)) as sim:
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        for executor in ("ray", "local"):
            out = tmp_path / executor
            config = parse_config(doc | {"output": doc["output"] | {"dir": str(out)}}, base_dir=tmp_path)
            run_pipeline(config, RunOptions(out_dir=out, executor=executor, workers=2 if executor == "ray" else None))
            outputs[executor] = parquet_bytes(out) | {"drops": (out / "drops.jsonl").read_bytes()}
    assert outputs["ray"] == outputs["local"]


def run_split(tmp_path: Path, splits: dict) -> tuple[list[dict], dict]:
    write_jsonl(tmp_path / "rows.jsonl", UNIQUE)
    doc = dataset_document("rows.jsonl", samples=2)  # relative: ids (and the sim's faults) do not vary with tmp_path
    doc["splits"] = splits
    with start_sim(parse_config(doc, base_dir=tmp_path), SimKnobs(seed=5, p_wrong_step=0.4)) as sim:
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        out = tmp_path / "out"
        run_pipeline(parse_config(doc | {"output": doc["output"] | {"dir": str(out)}}, base_dir=tmp_path),
                     RunOptions(out_dir=out, executor="local"))
    import pyarrow.parquet as pq

    rows = [r for p in sorted((out / "data").glob("*.parquet")) for r in pq.read_table(p).to_pylist()]
    return rows, json.loads((out / "report.json").read_text())


def test_heldout_values_of_a_source_column(tmp_path):
    rows, report = run_split(tmp_path, {"strategy": "heldout_values", "test_fraction": 0.2,
                                        "heldout_values": {"column": "topic", "values": ["sand"]}})
    assert {json.loads(r["knobs"])["topic"] == "sand" for r in rows if r["split"] == "test"} == {True}
    assert all(json.loads(r["knobs"])["topic"] != "sand" for r in rows if r["split"] == "train")
    assert all(r["atoms"] == [] and r["compounds"] == [] for r in rows)
    assert "no step graph" in report["atoms"]["note"] and report["compounds"]["distinct"] == 0
    assert report["questions"]["distinct_1"] > 0 and report["vendi"]["questions_ngram"]["score"] > 1


@pytest.mark.parametrize("knob", ["level", "teacher_fail_rate"])
def test_difficulty_on_a_source_column_or_the_pass_rate(tmp_path, knob):
    rows, _ = run_split(tmp_path, {"strategy": "difficulty", "test_fraction": 0.3, "difficulty": {"knob": knob}})
    train = [json.loads(r["knobs"])[knob] for r in rows if r["split"] == "train"]
    test = [json.loads(r["knobs"])[knob] for r in rows if r["split"] == "test"]
    assert train and test and max(train) < min(test)


def test_shipped_own_problems_pipeline_runs_against_teacher_sim(tmp_path):
    config = load_config(Path(__file__).parents[2] / "pipelines" / "own_problems.yaml", {"dir": str(tmp_path / "out")})
    problems = problems_of(config)
    assert len(problems) >= 50 and {p.answer_type for p in problems} >= {"integer", "rational", "choice", "text"}
    with start_sim(config, SimKnobs(model="teacher-sim")) as sim:
        doc = config.model_dump(mode="json")
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        config = parse_config(doc, base_dir=config.base_dir)
        manifest = run_pipeline(config, RunOptions(out_dir=tmp_path / "out", executor="local"))
    teacher = manifest["counts"]["teacher"][0]
    assert teacher["problems"]["kept"] == teacher["problems"]["in"] == len(problems)
    assert set(manifest["counts"]["splits"]) == {"train", "test"}
