"""Hostile answers end in a clean `unverifiable` verdict with a reason, under the default budget."""

import pytest

from cotsynth.verify import check_answer
from cotsynth.verify.worker_pool import WorkerPool

HOSTILE = [
    "9**9**9**9",
    "9^9^9^9",
    "9^{9^{9^{9}}}",
    "(" * 10_000 + "1" + ")" * 10_000,
    "1" * 1_000_000,
    "x" * 1_000_000,
    "__import__('os')",
    "__import__('os').system('touch /tmp/cotsynth-pwned')",
    "1+__import__('os').system('touch /tmp/cotsynth-pwned')",
    "1+<garbage>",
    "().__class__.__bases__[0].__subclasses__()",
    "lambda: 1",
    "\\frac{" * 60 + "1" + "}" * 60,
    "1 = 1 = __import__",
]


@pytest.mark.parametrize("pred", HOSTILE, ids=lambda p: p[:30])
def test_hostile_prediction_is_unverifiable(pred):
    verdict = check_answer("1", pred)
    assert verdict.status == "unverifiable", verdict
    assert not verdict.match and verdict.reason


def test_no_payload_ran(tmp_path):
    marker = tmp_path / "pwned"
    for template in ("__import__('os').system('touch {m}')", "1+__import__('os').system('touch {m}')",
                     "x + exec(\"open('{m}','w')\")"):
        check_answer("1", template.format(m=marker))
        check_answer("x+1", template.format(m=marker))
    assert not marker.exists()


def test_suffix_hack_is_not_a_match():
    for pred in ("1+<garbage>", "1 + garbage)", "1+__import__('os')", "1 2 3 (", "12 \\garbage{"):
        assert not check_answer("1", pred, timeout_s=30).match


def test_overrunning_comparison_is_killed_and_pool_recovers():
    pool = WorkerPool(size=1)
    try:
        # Expanding a huge power keeps sympy busy far beyond a 0.5 s budget.
        status, reason = pool.compare("(x+1)^{30000}", "(x+1)^{30000}+\\frac{1}{(y+1)^{20000}}", timeout_s=0.5)
        assert status == "unverifiable" and "budget" in reason
        status, _ = pool.compare("2x+2", "2(x+1)", timeout_s=60)
        assert status == "match"
    finally:
        pool.close()


def test_workers_are_recycled():
    pool = WorkerPool(size=1, max_tasks=2)
    try:
        first = None
        for _ in range(3):
            assert pool.compare("x+1", "1+x", timeout_s=60)[0] == "match"
            live = next(iter(pool._live))
            first = first or live.proc.pid
        assert live.proc.pid != first
    finally:
        pool.close()
