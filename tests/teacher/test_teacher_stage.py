"""The teacher stage against teacher-sim through the real `openai` client (no mocked client)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cotsynth.config import ConfigError, parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline

from teacher_docs import DOC, document


def run(doc: dict, out: Path, **options) -> dict:
    return run_pipeline(parse_config(doc), RunOptions(out_dir=out, **options))


def records(out: Path) -> list[dict]:
    return pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("*.parquet"))]).to_pylist()


def reason(record: dict) -> str:
    return json.loads(record["verification"])["reason"]


def test_every_problem_present_and_step_labels_find_the_injected_step(sim_factory, tmp_path):
    sim = sim_factory(latency_ms=2, p_wrong_step=0.3, p_missing=0.1, p_malformed=0.1)
    out = tmp_path / "out"
    manifest = run(document(sim.base_url, out, keep="all"), out, executor="local")
    rows = records(out)
    problems = {r["id"].split("/", 1)[0] for r in rows}
    assert len(problems) == DOC["tasks"][0]["count"] == manifest["counts"]["teacher"][0]["problems"]["in"]
    assert len(rows) == 2 * len(problems)
    injected = sim.stats(detail=True)["injected"]
    seen = Counter()
    for row in rows:
        problem_id = row["id"].split("/", 1)[0]
        truth = injected[f"{problem_id}#{row['sample_index']}#0"]
        assert row["source"] == "teacher:sim" and reason(row)
        if truth["wrong_step"] is not None:
            labels = row["step_labels"]
            assert labels[truth["wrong_step"]] is False, (row["cot_steps"], labels)
            assert all(labels[: truth["wrong_step"]])
            assert not row["verified"] and ("step" in reason(row) or truth["final"] != "ok")
            seen["wrong_step"] += 1
        elif truth["final"] != "ok":
            assert not row["verified"] and reason(row).split(":")[0] in ("no final answer", "wrong answer")
            seen[truth["final"]] += 1
        else:
            assert row["verified"], reason(row)
            assert row["step_labels"] == [True] * len(row["cot_steps"])
            assert "\\boxed" not in row["cot"]  # the closing answer line is not part of the CoT
            seen["clean"] += 1
        meta = json.loads(row["meta"])
        assert 0 <= meta["pass_rate"] <= 1 and meta["teacher"]["usage"]["completion_tokens"] > 0
    assert seen["wrong_step"] and seen["clean"] and (seen["missing"] or seen["malformed"])


def test_keep_verified_keeps_only_verified_samples(sim_factory, tmp_path):
    sim = sim_factory(p_wrong_step=0.4)
    out = tmp_path / "out"
    manifest = run(document(sim.base_url, out, keep="verified"), out, executor="local")
    rows = records(out)
    teacher = manifest["counts"]["teacher"][0]
    assert rows and all(r["verified"] for r in rows)
    assert len(rows) == teacher["samples"]["kept"] == teacher["samples"]["verified"]
    assert teacher["samples"]["rejected"] == teacher["samples"]["requested"] - len(rows) > 0
    drops = [json.loads(line) for line in (out / "drops.jsonl").read_text().splitlines()]
    assert sum(d["stage"] == "teacher" for d in drops) == teacher["samples"]["rejected"]
    assert all(d["reason"].startswith("not verified: ") for d in drops if d["stage"] == "teacher")


@pytest.mark.parametrize("keep", ["best", "first_verified"])
def test_one_sample_per_problem_policies(sim_factory, tmp_path, keep):
    sim = sim_factory(p_wrong_step=0.5)
    out = tmp_path / "out"
    run(document(sim.base_url, out, keep=keep, samples=3), out, executor="local")
    rows = records(out)
    per_problem = Counter(r["id"].split("/", 1)[0] for r in rows)
    assert set(per_problem.values()) == {1}
    if keep == "first_verified":
        assert all(r["verified"] for r in rows)
    else:
        assert len(per_problem) == DOC["tasks"][0]["count"]


def test_faults_counts_add_up_and_no_duplicates(sim_factory, tmp_path):
    sim = sim_factory(latency_ms=2, p_429=0.1, p_500=0.1, p_hang=0.02, retry_after_s=0.01)
    out = tmp_path / "out"
    manifest = run(document(sim.base_url, out, keep="verified", timeout=0.5, max_retries=8), out, executor="local")
    teacher = manifest["counts"]["teacher"][0]
    problems, samples = teacher["problems"], teacher["samples"]
    assert problems["in"] == DOC["tasks"][0]["count"] == problems["kept"] + problems["rejected"] + problems["failed"]
    assert samples["requested"] == samples["kept"] + samples["rejected"] == samples["answered"] + samples["failed"]
    assert teacher["attempt_errors"].get("http_429") and teacher["attempt_errors"].get("http_500")
    assert teacher["requests"]["retries"] == sum(teacher["attempt_errors"].values()) - sum(teacher["failures"].values())
    assert teacher["requests"]["requests"] == sim.stats()["requests"]
    ids = [r["id"] for r in records(out)]
    assert len(ids) == len(set(ids)) == samples["kept"]


def test_failures_after_the_last_retry_are_kept_with_their_reason(sim_factory, tmp_path):
    sim = sim_factory(p_500=1.0)
    out = tmp_path / "out"
    manifest = run(document(sim.base_url, out, keep="all", max_retries=1), out, executor="local")
    rows = records(out)
    assert len(rows) == 2 * DOC["tasks"][0]["count"]
    assert all(not r["verified"] and reason(r) == "failed: http_500 after 2 attempts" for r in rows)
    teacher = manifest["counts"]["teacher"][0]
    assert teacher["problems"]["failed"] == DOC["tasks"][0]["count"]
    assert teacher["failures"] == {"http_500": len(rows)}


def test_truncation_is_an_outcome_not_a_retry(sim_factory, tmp_path):
    sim = sim_factory()
    out = tmp_path / "out"
    doc = document(sim.base_url, out, keep="all", samples=1, sampling={"max_tokens": 8})
    manifest = run(doc, out, executor="local")
    assert sim.stats()["requests"] == DOC["tasks"][0]["count"]
    assert manifest["counts"]["teacher"][0]["samples"]["truncated"] == DOC["tasks"][0]["count"]
    assert all(reason(r).startswith("truncated") and not r["verified"] for r in records(out))


def test_rerun_is_answered_from_the_cache_and_prices_only_what_was_sent(sim_factory, tmp_path):
    sim = sim_factory()
    out = tmp_path / "out"
    doc = document(sim.base_url, out, price_per_million_input=1.0, price_per_million_output=2.0)
    first = run(doc, out, executor="local")["counts"]["teacher"][0]
    before = records(out)
    second = run(doc, out, executor="local", overwrite=True)["counts"]["teacher"][0]
    assert first["requests"]["requests"] == 2 * DOC["tasks"][0]["count"] and first["cost"] > 0
    assert second["requests"] == {"requests": 0, "cache_hits": 80, "retries": 0, "answered": 0}
    assert second["cost"] == 0
    assert sim.stats()["requests"] == first["requests"]["requests"]
    assert records(out) == before


def test_unknown_questions_get_a_plausible_wrong_answer(sim_factory, tmp_path):
    doc = document("http://unused/v1", tmp_path / "out")
    doc["seed"] = 12  # other problems than the ones teacher-sim knows
    sim = sim_factory()
    doc["traces"][0]["endpoint"]["base_url"] = sim.base_url
    run(doc, tmp_path / "out", executor="local")
    rows = records(tmp_path / "out")
    assert rows and all(not r["verified"] and reason(r).startswith("wrong answer") for r in rows)


def test_config_errors_name_the_teacher_key():
    doc = document("")
    doc["traces"].insert(0, {"source": "symbolic"})
    doc["traces"][1]["keep"] = "most"
    with pytest.raises(ConfigError) as err:
        parse_config(doc)
    assert "traces[1].endpoint.base_url: String should have at least 1 character" in err.value.problems
    assert any(p.startswith("traces[1].keep: ") for p in err.value.problems)
    doc = document("http://x/v1", prompt_template="nope")
    with pytest.raises(ConfigError, match=r"traces\[0\].prompt_template: no teacher prompt template 'nope'"):
        parse_config(doc)


@pytest.mark.parametrize("include", [False, True])
def test_sft_takes_verified_records_unless_told_and_never_ends_wrong_reasoning_in_the_gold(sim_factory, tmp_path,
                                                                                           include):
    sim = sim_factory(latency_ms=1, p_wrong_step=0.4, p_missing=0.1)
    out = tmp_path / "out"
    doc = document(sim.base_url, out, keep="all")
    doc["output"]["sft"] = {"include_unverified": include}
    manifest = run(doc, out, executor="local")
    by_id = {r["id"]: r for r in records(out)}
    sft = pa.concat_tables([pq.read_table(p) for p in sorted((out / "sft").glob("*.parquet"))]).to_pylist()
    unverified = [r for r in by_id.values() if not r["verified"]]
    assert unverified and any(r["verified"] for r in by_id.values())
    assert len(sft) == sum(c["sft"] for c in manifest["counts"]["splits"].values())
    assert len(sft) == len(by_id) if include else len(sft) == len(by_id) - len(unverified)
    for row in sft:
        record = by_id[row["id"]]
        reply = row["messages"][1]["content"]
        if record["verified"]:
            assert reply.endswith(f"\\boxed{{{record['answer']}}}")
            continue
        assert include
        predicted = json.loads(record["meta"])["predicted_answer"]
        if predicted is None:
            assert "\\boxed" not in reply.splitlines()[-1]
        else:
            assert reply.endswith(f"\\boxed{{{predicted}}}")
    card = (out / "README.md").read_text()
    assert ("`output.sft.include_unverified`" in card) == include
