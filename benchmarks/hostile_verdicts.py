"""Time every verdict of a hostile corpus, cache off: how slow can one `check_answer` be made?

Prints the count, the median and the slowest verdicts with their status and reason. The corpus mixes
the answers of tests/verify/test_hostile.py, hedges, scale words, superscripts, fullwidth nesting
and tuples/sets whose every element stalls sympy (one shared budget per verdict). Not a CI gate.
Run: PYTHONPATH=src nice -n 10 python benchmarks/hostile_verdicts.py
"""

from __future__ import annotations

import statistics
import time

from cotsynth.verify import check_answer, verdict_cache
from cotsynth.verify.worker_pool import shared_pool

STALL = r"\sin(x)^{40}\cos(x)^{60}+\tan(x)^{3%d}"


def corpus() -> list[tuple[str, str, str | None]]:
    pairs: list[tuple[str, str, str | None]] = []
    for pred in ["9**9**9**9", "9^{9^{9^{9}}}", "(" * 10_000 + "1" + ")" * 10_000, "1" * 1_000_000,
                 "__import__('os').system('true')", "().__class__.__bases__[0].__subclasses__()",
                 "\\frac{" * 60 + "1" + "}" * 60, "（" * 400 + "1" + "）" * 400, "5 million", "5 wrong", "10²", "x²",
                 "7 or 8", "7 \\pm 1", "\\{7, 8\\}", "x = 7 \\text{ or } x = 8", "\\boxed{5} + 1"]:
        pairs.append(("1", pred, None))
    pairs.append(("(x+1)^{30000}", "(x+1)^{30000}+\\frac{1}{(y+1)^{20000}}", None))
    for n in (1, 3, 6, 12):
        gold = "(" + ", ".join(STALL % k for k in range(n)) + ")"
        for kind in ("tuple", "set"):
            pairs.append((gold, gold.replace("^{40}", "^{41}"), kind))
    return pairs


def timed(pairs: list[tuple[str, str, str | None]], warm_each: bool) -> list[tuple]:
    timings = []
    for gold, pred, kind in pairs:
        if warm_each:  # wait, untimed, for a ready worker: a previous verdict's kill is not this one's cost
            shared_pool().compare("x", "x", 120)
        started = time.perf_counter()
        verdict = check_answer(gold, pred, kind)
        timings.append((time.perf_counter() - started, pred, kind, verdict))
    return timings


def main() -> None:
    verdict_cache().size = 0
    pairs = corpus()
    for warm_each, label in ((True, "each verdict starting with a ready worker"),
                             (False, "back to back (waits for workers killed by the verdict before)")):
        timings = timed(pairs, warm_each)
        seconds = [t[0] for t in timings]
        print(f"{len(timings)} hostile verdicts, {label}: median {statistics.median(seconds) * 1000:.1f} ms, "
              f"slowest {max(seconds):.2f} s (symbolic budget 1 s per verdict)")
        for elapsed, pred, kind, verdict in sorted(timings, key=lambda t: t[0], reverse=True)[:3]:
            print(f"  {elapsed:6.2f} s  {kind or 'auto':5}  {pred[:40]!r:44} {verdict.status}: {verdict.reason[:60]}")


if __name__ == "__main__":
    main()
