import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash, MinHashLSH

from cotsynth.diversity import DiversityConfig, dedup
from cotsynth.diversity.keys import key_columns, question_keys
from cotsynth.diversity.minhash import bands, shingles, signatures
from cotsynth.diversity.text import exact_keys


def table(questions):
    n = len(questions)
    return pa.table({"problem_id": [f"p{k}" for k in range(n)], "question": questions})


def test_exact_and_near_reasons_first_occurrence_wins():
    base = "Start with 12, then add 7, then multiply by 3, then subtract 5, then divide by 2, and show your work."
    qs = [base, base.upper().replace(", ", " , "), "Please " + base, "What is 3 + 4?"]
    reasons = dedup(table(qs), DiversityConfig(dedup="minhash", threshold=0.8))
    assert reasons == [None, "exact_duplicate_of:p0", "near_duplicate_of:p0", None]
    assert dedup(table(qs), DiversityConfig(dedup="exact")) == [None, "exact_duplicate_of:p0", None, None]
    assert dedup(table(qs), DiversityConfig(dedup="none")) == [None] * 4


def test_numbers_are_kept():
    """Templated questions that differ only in numbers (or an operator) are distinct, not duplicates."""
    qs = [f"Start with {a}, then add {b}, then multiply by {c}." for a in range(10) for b in range(10) for c in (3, 4)]
    qs += ["What is 3 + 5?", "What is 3 - 5?"]
    assert exact_keys(["What is 3+5?"]).to_pylist() == ["what is 3 + 5 ?"]
    reasons = dedup(table(qs), DiversityConfig(dedup="minhash", threshold=0.9))
    assert reasons == [None] * len(qs)


def test_signatures_match_datasketch():
    texts = ["What is (3 + 5) * 2?", "Compute 12 - 7.", "a", "", "one two three four five six"]
    sig = signatures(texts)
    docs, grams = shingles(texts)
    for k in range(len(texts)):
        m = MinHash(num_perm=128, hashfunc=lambda x: x)
        for h in grams[docs == k].tolist():
            m.update(h)
        assert (m.hashvalues == sig[k]).all()


def test_planted_near_duplicates_recall_and_agreement_with_datasketch_lsh(problems):
    """Rows whose true 3-gram Jaccard with an earlier row is >= 0.9 are caught like datasketch's LSH would."""
    reasons = dedup(problems, DiversityConfig(dedup="minhash", threshold=0.8))
    near = {k for k, r in enumerate(reasons) if r and r.startswith("near")}
    exact = {k for k, r in enumerate(reasons) if r and r.startswith("exact")}
    assert len(exact) >= 0.008 * problems.num_rows
    q = problems.column("question")
    keep = [k for k, r in enumerate(reasons) if not (r and r.startswith("exact"))]
    sig = signatures(q.take(pa.array(keep)))
    lsh = MinHashLSH(threshold=0.8, num_perm=128, params=bands(0.8))
    found = set()
    for local, row in enumerate(keep):
        m = MinHash(num_perm=128, hashvalues=sig[local], scheme="affine32")
        if any(np.mean(sig[int(c)] == sig[local]) >= 0.8 for c in lsh.query(m)):
            found.add(row)
        else:
            lsh.insert(local, m)
    assert len(near) > 50
    assert len(near ^ found) <= 0.02 * len(found)


def test_deterministic(problems):
    cfg = DiversityConfig(dedup="minhash")
    assert dedup(problems, cfg) == dedup(problems, cfg)


def test_key_columns_stand_for_the_questions_at_their_threshold():
    """The worker's key columns give the same dedup as the questions, and say which threshold they
    were made for: keys of another threshold are refused, not silently misread."""
    base = "Start with 12, then add 7, then multiply by 3, then subtract 5, then divide by 2, and show your work."
    qs = [base, base.upper(), "Please " + base, "What is 3 + 4?"]
    keyed = table(qs)
    keys = key_columns(keyed.column("question"), 0.8)
    for field, column in zip(keys.schema, keys.columns):
        keyed = keyed.append_column(field, column)
    config = DiversityConfig(dedup="minhash", threshold=0.8)
    assert dedup(keyed.drop_columns(["question"]), config) == dedup(table(qs), config) == [None, "exact_duplicate_of:p0", "near_duplicate_of:p0", None]
    with pytest.raises(ValueError, match="made for threshold 0.8, not 0.7"):
        question_keys(keyed, 0.7)
