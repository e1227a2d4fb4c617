"""Answers built to fool or stall the verifier: scale words, superscripts, fullwidth nesting, huge
rejected answers in the cache, a list whose every element stalls sympy, a NaN tolerance."""

from __future__ import annotations

import pytest

from cotsynth.verify import check_answer, verdict_cache
from cotsynth.verify.equivalence import VerdictCache
from cotsynth.verify.worker_pool import shared_pool

SCALED = [("5 million", "5", "5000000"), ("5 thousand", "5", "5000"), ("7 hundred", "7", "700"),
          ("12 dozen", "12", "144"), ("2 squared", "2", "4"), ("3 cubed", "3", "27"), ("2 billion", "2", "2000000000")]


@pytest.mark.parametrize(("pred", "wrong", "right"), SCALED)
def test_scale_words_change_the_value(pred, wrong, right):
    assert not check_answer(wrong, pred).match
    assert check_answer(right, pred).match


@pytest.mark.parametrize("pred", ["5 wrong", "5 maybe", "5 approximately", "5 or so", "5 incorrect"])
def test_words_that_deny_or_hedge_are_no_unit(pred):
    assert not check_answer("5", pred).match


def test_plain_units_still_match():
    assert check_answer("12", "12 apples").match and check_answer("12 apples", "12 apples").match


@pytest.mark.parametrize(("pred", "gold", "match"), [
    ("10²", "100", True), ("10²", "102", False), ("x²", "x**2", True), ("x²", "2x", False), ("x²", "x2", False),
    ("2⁻¹", "1/2", True), ("10³", "1000", True), ("(x+1)²", "x^2+2x+1", True),
])
def test_superscripts_are_powers(pred, gold, match):
    assert check_answer(gold, pred).match is match


@pytest.mark.parametrize("brackets", ["（）", "［］", "｛｝"])
def test_fullwidth_nesting_is_capped_after_normalization(brackets):
    opening, closing = brackets
    verdict = check_answer("1", opening * 400 + "1" + closing * 400)
    assert verdict.status == "unverifiable" and "nested deeper" in verdict.reason


def test_verdict_cache_is_bounded_by_bytes():
    cache = VerdictCache(size=4096, max_bytes=1 << 20)
    huge = "9" * 1999
    for n in range(2000):
        cache.put((f"{n}", huge + str(n), None, None, None), check_answer("1", "2"))
    assert cache.bytes <= 1 << 20 and len(cache) < 2000
    assert cache.get(("1999", huge + "1999", None, None, None)) is not None  # the newest stay
    assert cache.get(("0", huge + "0", None, None, None)) is None


def test_process_cache_counts_bytes():
    verdict_cache().clear()
    check_answer("1", "1" * 1500)
    assert verdict_cache().bytes > 1500


@pytest.mark.parametrize("tolerance", [float("nan"), float("inf"), -1.0, True, "1e-6"])
def test_bad_tolerance_is_a_clear_error(tolerance):
    with pytest.raises(ValueError, match="tolerance must be a finite number"):
        check_answer("1", "1.0000001", "float", tolerance=tolerance)


STALLING = r"\sin(x)^{40}\cos(x)^{60}+\tan(x)^{3{n}}"


@pytest.mark.parametrize("kind", ["tuple", "set"])
def test_a_list_verdict_has_one_symbolic_budget(kind, monkeypatch):
    """Six elements that each stall sympy cost one budget, not six: after the first overruns, the
    rest are not sent to a worker at all."""
    pool = shared_pool()
    sent = []
    real = pool.compare

    def counting(gold, pred, timeout_s, trees=None):
        sent.append(timeout_s)
        return real(gold, pred, timeout_s, trees=trees)

    monkeypatch.setattr(pool, "compare", counting)
    gold = "(" + ", ".join(STALLING.replace("{n}", str(n)) for n in range(6)) + ")"
    pred = gold.replace("^{40}", "^{41}")
    verdict = check_answer(gold, pred, kind, timeout_s=0.5)
    assert not verdict.match and sent
    # every worker call got what was left of one 0.5 s budget, never a fresh one
    assert sent[0] <= 0.5 and sent == sorted(sent, reverse=True)
    if verdict.status == "unverifiable":  # the usual case: the first element overran, nothing more was sent
        assert "budget" in verdict.reason and len(sent) == 1
        assert check_answer(gold, pred, kind, timeout_s=0.5) is not verdict  # budget-dependent: never cached
