"""Dataset-sourced tasks end to end against teacher-sim: loading, gold, step labels, programs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dataset_docs import ROWS, dataset_document, write_jsonl

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.teacher.sim import SimKnobs, start_sim


UNIQUE = ROWS[:-1]  # the sim's injection log is per question: a repeated question would share entries


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    """Run from tmp_path and name the data by a relative path: ids hash the path as written, so an
    absolute tmp path would change the ids, and with them the sim's seeded faults, on every run."""
    monkeypatch.chdir(tmp_path)


def records(out: Path) -> list[dict]:
    return pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("*.parquet"))]).to_pylist()


def view(out: Path, name: str) -> list[dict]:
    """A view's rows; a view with no rows has no shard at all."""
    shards = sorted((out / name).glob("*.parquet"))
    return pa.concat_tables([pq.read_table(p) for p in shards]).to_pylist() if shards else []


def run_against_sim(doc: dict, out: Path, **knobs) -> tuple[dict, dict]:
    """Run `doc` against a teacher-sim answering its own problems; (manifest, the sim's /stats detail)."""
    with start_sim(parse_config(doc), SimKnobs(seed=7, **knobs)) as sim:
        doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
        doc["output"]["dir"] = str(out)
        manifest = run_pipeline(parse_config(doc), RunOptions(out_dir=out, executor="local"))
        return manifest, sim.stats(detail=True)


def drops(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "drops.jsonl").read_text().splitlines()]


def test_local_jsonl_with_gsm8k_gold_and_claims(tmp_path):
    doc = dataset_document(write_jsonl(Path("rows.jsonl")), step_labels="claims")
    manifest, _ = run_against_sim(doc, tmp_path / "out")
    rows = records(tmp_path / "out")
    assert rows and all(r["verified"] for r in rows)  # a clean sim: every sample reaches the gold
    by_uid = {json.loads(r["meta"])["source_row"]["id"]: r for r in rows}
    assert by_uid["r05"]["answer"] == "19" and by_uid["r05"]["answer_type"] == "integer"
    assert by_uid["f1"]["answer_type"] == "rational" and by_uid["c1"]["answer_type"] == "choice"
    assert by_uid["t1"]["answer_type"] == "text"
    assert json.loads(by_uid["r05"]["meta"])["source_row"] == {"index": 5, "id": "r05"}
    assert by_uid["r05"]["step_labels"] is None or by_uid["r05"]["step_labels"][1] is True  # `a + b = g` checked
    numeric = [r for r in rows if r["answer_type"] == "integer"]
    assert all(r["step_labels"] is None and json.loads(r["verification"])["reason"].startswith("answer matches")
               for r in numeric)  # steps 1 and 3 state values no claim can check: unlabelled, not guessed
    reasons = {d["id"]: d for d in drops(tmp_path / "out")}
    bad = [d for d in reasons.values() if d["stage"] == "dataset"]
    assert len(bad) == 1 and "row bad" in bad[0]["reason"] and "#### <answer>" in bad[0]["reason"]
    assert any(d["stage"] == "dedup" for d in reasons.values())  # `dup` repeats r00's question: a duplicate
    assert manifest["counts"]["generate"]["problems"] == len(ROWS) - 1
    assert manifest["counts"]["dedup"]["dropped_problems"] == 1


def test_wrong_claims_reject_the_sample_and_label_the_step(tmp_path):
    doc = dataset_document(write_jsonl(Path("rows.jsonl"), UNIQUE), step_labels="claims")
    _, stats = run_against_sim(doc, tmp_path / "out", p_wrong_step=0.5)
    injected = stats["injected"]
    rows = records(tmp_path / "out")
    seen = 0
    for row in rows:
        problem_id = row["id"].split("/", 1)[0]
        truth = injected[f"{problem_id}#{row['sample_index']}#0"]
        if truth["wrong_step"] is not None:
            assert not row["verified"], (row["cot"], row["answer"], row["verification"], truth)
        if truth["wrong_step"] == 1 and row["answer_type"] == "integer":  # `a + b = g+e`: a false claim
            assert "wrong" in json.loads(row["verification"])["reason"]
            seen += 1
    assert seen >= 3


def test_local_parquet_and_no_step_labels(tmp_path):
    path = Path("rows.parquet")
    pq.write_table(pa.Table.from_pylist(ROWS), path)
    doc = dataset_document(path, step_labels="none", samples=1)
    manifest, _ = run_against_sim(doc, tmp_path / "out")
    rows = records(tmp_path / "out")
    assert len(rows) == len(ROWS) - 2 and all(r["step_labels"] is None for r in rows)
    assert all(r["verified"] for r in rows) and not view(tmp_path / "out", "prm")
    assert manifest["counts"]["teacher"][0]["problems"]["kept"] == len(ROWS) - 1  # before dedup


def test_dataset_built_with_datasets_loaded_by_name_from_a_local_path(tmp_path):
    import datasets

    built = datasets.Dataset.from_list(ROWS[:12])
    folder = tmp_path / "hub" / "shells"
    (folder / "data").mkdir(parents=True)
    built.to_parquet(str(folder / "data" / "train-00000-of-00001.parquet"))
    doc = dataset_document("hub/shells", samples=1, step_labels="claims")
    doc["tasks"][0]["count"] = 10
    run_against_sim(doc, tmp_path / "out")
    rows = records(tmp_path / "out")
    assert sorted(json.loads(r["meta"])["source_row"]["index"] for r in rows) == list(range(10))
    # ids hash (source, row id): the same rows read from JSONL under the same path text get the same ids
    assert all(r["id"].startswith("shells-") for r in rows)


def test_rollout_labels_find_the_injected_wrong_step(tmp_path):
    doc = dataset_document(write_jsonl(Path("rows.jsonl"), UNIQUE), step_labels="rollouts", samples=2,
                           rollouts={"per_step": 4, "max_steps": 6})
    manifest, stats = run_against_sim(doc, tmp_path / "out", p_wrong_step=0.3)
    injected = stats["injected"]
    rows = records(tmp_path / "out")
    agree = total = 0
    for row in rows:
        problem_id = row["id"].split("/", 1)[0]
        wrong = injected[f"{problem_id}#{row['sample_index']}#0"]["wrong_step"]
        labels = row["step_labels"]
        meta = json.loads(row["meta"])["rollouts"]
        assert labels is not None and len(labels) == len(row["cot_steps"]) == len(meta["soft"])
        assert [s > 0 for s in meta["soft"]] == labels  # the hard label is "some continuation reached the gold"
        if wrong is not None:
            assert labels[wrong:] == [False] * (len(labels) - wrong)  # from a wrong step on, no way back
        truth = [wrong is None or k < wrong for k in range(len(labels))]
        agree += sum(a == b for a, b in zip(labels, truth))
        total += len(labels)
    assert agree / total >= 0.9
    figures = manifest["counts"]["teacher"][0]
    steps = sum(len(r["cot_steps"]) for r in rows)
    assert figures["rollouts"] == {"traces": len(rows), "steps": steps, "requests": 4 * steps, "per_step": 4,
                                   "mode": "completions"}  # teacher-sim reports a chat template at /props
    assert figures["requests"]["answered"] == figures["samples"]["answered"] + 4 * steps - figures["requests"]["cache_hits"]
    prm = view(tmp_path / "out", "prm")
    assert len(prm) == len(rows) and {tuple(p["labels"]) for p in prm} == {tuple(r["step_labels"]) for r in rows}


def test_program_format_runs_in_the_sandbox(tmp_path):
    doc = dataset_document(write_jsonl(Path("rows.jsonl"), UNIQUE), format="program", samples=2)
    _, stats = run_against_sim(doc, tmp_path / "out", p_wrong_step=0.3)
    injected = stats["injected"]
    rows = records(tmp_path / "out")
    assert {r["granularity"] for r in rows} == {"code"} and {r["style"] for r in rows} == {"program"}
    for row in rows:
        assert "print(" in row["cot"] and row["cot_steps"] == [row["cot"]] and row["step_labels"] is None
        wrong = injected[f"{row['id'].split('/', 1)[0]}#{row['sample_index']}#0"]["wrong_step"]
        assert row["verified"] is (wrong is None), row["verification"]
        assert json.loads(row["verification"])["method"] == "teacher:program+sandbox"


@pytest.mark.parametrize(("program", "reason"), [
    ("raise SystemExit('no')", "sandbox error"),
    ("while True:\n    pass", "sandbox"),
    ("x = 1", "printed nothing"),
])
def test_sandbox_failures_are_reasons(program, reason):
    from cotsynth.teacher import grading

    grading_timeout = grading.PROGRAM_TIMEOUT_S
    grading.PROGRAM_TIMEOUT_S = 1.0
    try:
        ran = grading.run_program_answer(f"```python\n{program}\n```")
    finally:
        grading.PROGRAM_TIMEOUT_S = grading_timeout
    assert ran.printed is None and reason in ran.failure
