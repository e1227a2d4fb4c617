"""Answer-checking throughput and agreement: cotsynth's tiered `answers_match` against
`math_verify.verify(parse(gold), parse(pred))` on the same mixed pairs, in the same run; then
step-label precision/recall over corrupted fine traces. Prints figures; never a CI gate.

    PYTHONPATH=src:tests/verify python benchmarks/verify_bench.py [--pairs 1200] [--traces 1000]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "verify"))

from cotsynth.verify import answers_match, check_answer, verdict_cache  # noqa: E402
from cotsynth.verify.worker_pool import shared_pool  # noqa: E402


def _numeric(rng: random.Random) -> tuple[str, str, bool]:
    num, den = rng.randint(-5000, 5000), rng.choice([1, 1, 1, 2, 4, 5, 8, 10, 3])
    value = Fraction(num, den)
    same = rng.random() < 0.5
    shown = value if same else value + rng.choice([1, -1, Fraction(1, 10), 7])
    gold = str(value.numerator) if value.denominator == 1 else f"{value.numerator}/{value.denominator}"
    forms = [f"{shown.numerator}/{shown.denominator}", f"\\frac{{{shown.numerator}}}{{{shown.denominator}}}"]
    if (shown * 1000).denominator == 1:
        decimal = f"{float(shown):.3f}".rstrip("0").rstrip(".")
        forms += [decimal, f"{decimal}", f"${decimal}$", f"\\boxed{{{decimal}}}"]
        if shown.denominator == 1 and abs(shown) >= 1000:
            forms.append(f"{int(shown):,}")
    return gold, rng.choice(forms), same


def _symbolic(rng: random.Random) -> tuple[str, str, bool]:
    """Expressions, radicals, equations and structures with fresh numbers, so no parse cache helps."""
    a, b, c = rng.randint(2, 9), rng.randint(1, 20), rng.randint(2, 30)
    same = rng.random() < 0.5
    d = 0 if same else rng.choice([1, -1, 2])
    kind = rng.randrange(8)
    if kind == 0:
        return f"{a}(x+{b})", f"{a}x+{a * b + d}", same
    if kind == 1:
        return f"x^2-{b * b}", f"(x-{b})(x+{b + d})", same
    if kind == 2:
        return f"\\sqrt{{{a * a * c}}}", f"{a}\\sqrt{{{c + d}}}", same
    if kind == 3:
        return f"\\frac{{{b}\\pi}}{{{a}}}", f"\\frac{{{b + d}}}{{{a}}}\\pi", same
    if kind == 4:
        return f"x = {b}", f"{b + d}", same
    if kind == 5:
        return f"({b}, {c})", f"({b + d}, {c})", same
    if kind == 6:
        return f"\\{{{b}, {c}\\}}", f"\\{{{c}, {b + d}\\}}", same
    return f"(-\\infty, {b})", f"x < {b + d}", same


_WORDS = [("Paris", "paris", True), ("Paris", "London", False), ("JUMP WALK", "jump walk", True),
          ("JUMP WALK", "WALK JUMP", False), ("yes", "Yes", True), ("no", "yes", False)]


def make_pairs(n: int, seed: int = 0) -> list[tuple[str, str, bool, str]]:
    """(gold, pred, intended, category): 70% numeric, 20% symbolic/structured, 10% words."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        roll = rng.random()
        if roll < 0.7:
            pairs.append((*_numeric(rng), "numeric"))
        elif roll < 0.9:
            pairs.append((*_symbolic(rng), "symbolic"))
        else:
            pairs.append((*rng.choice(_WORDS), "words"))
    return pairs


def _timed(check, pairs) -> tuple[list[bool], dict[str, float]]:
    """Verdicts, and seconds spent per category."""
    verdicts, spent = [], {}
    for gold, pred, _, category in pairs:
        start = time.perf_counter()
        verdicts.append(check(gold, pred))
        spent[category] = spent.get(category, 0.0) + time.perf_counter() - start
    return verdicts, spent


def bench_answers(pairs) -> None:
    start = time.perf_counter()
    shared_pool().compare("x", "x", timeout_s=60)  # start one worker: a one-off cost per process
    print(f"symbolic worker start-up: {time.perf_counter() - start:.2f} s (once per process)")

    cache = verdict_cache()
    cache_size = cache.size
    cache.clear()
    cache.size = 0  # the headline figures are cache-cold: every pair is computed
    ours, ours_by = _timed(lambda g, p: answers_match(g, p), pairs)
    ours_s = sum(ours_by.values())
    cache.size = cache_size

    try:
        from math_verify import parse, verify
    except ImportError:
        print(f"answers_match: {len(pairs) / ours_s:,.0f} pairs/s ({len(pairs)} pairs); math-verify not installed")
        return
    theirs, theirs_by = _timed(lambda g, p: bool(verify(parse(g), parse(p))), pairs)
    theirs_s = sum(theirs_by.values())

    n = len(pairs)
    print(f"pairs: {n} ({', '.join(f'{c} {sum(1 for x in pairs if x[3] == c)}' for c in ('numeric', 'symbolic', 'words'))})")
    print(f"answers_match:              {n / ours_s:10,.0f} pairs/s  ({ours_s:.2f} s)")
    print(f"math_verify.verify(parse):  {n / theirs_s:10,.1f} pairs/s  ({theirs_s:.2f} s)")
    print(f"ratio (answers_match / math-verify): {theirs_s / ours_s:.2f}x")
    for category in ours_by:
        count = sum(1 for x in pairs if x[3] == category)
        print(f"  {category:9s} answers_match {count / ours_by[category]:10,.0f} pairs/s   "
              f"math-verify {count / theirs_by[category]:10,.1f} pairs/s")
    agree = sum(a == b for a, b in zip(ours, theirs))
    print(f"agreement with math-verify: {agree}/{n} = {agree / n:.3f}")
    for name, verdicts in (("answers_match", ours), ("math-verify", theirs)):
        right = sum(v == p[2] for v, p in zip(verdicts, pairs))
        print(f"accuracy vs intended label, {name}: {right}/{n} = {right / n:.3f}")
    methods: dict[str, int] = {}
    for gold, pred, _, category in pairs:
        if category == "symbolic":
            method = check_answer(gold, pred).method
            methods[method] = methods.get(method, 0) + 1
    print(f"symbolic pairs decided by tier: {methods}")
    _bench_cache(pairs, n / ours_s)
    shown = 0
    for (g, p, intended, _), a, b in zip(pairs, ours, theirs):
        if a != b and shown < 8:
            print(f"  disagree: gold {g!r} pred {p!r}: ours {a}, math-verify {b}, intended {intended}")
            shown += 1


def _bench_cache(pairs, cold_rate: float) -> None:
    """The verdict cache, warm: RL-style, each gold answer checked against repeated samples."""
    cache = verdict_cache()
    if cache.size <= 0:
        print("verdict cache: off (COTSYNTH_VERIFY_CACHE=0)")
        return
    cache.clear()
    for gold, pred, _, _ in pairs:
        answers_match(gold, pred)
    start = time.perf_counter()
    for gold, pred, _, _ in pairs:
        answers_match(gold, pred)
    warm = len(pairs) / (time.perf_counter() - start)
    print(f"verdict cache ({cache.size} entries): cold {cold_rate:,.0f} pairs/s (the figures above), "
          f"warm (same pairs again, all hits) {warm:,.0f} pairs/s")
    cache.clear()


def bench_step_labels(traces: int) -> None:
    from step_corpus import corpus

    from cotsynth.verify.step_labels import label_steps

    tp = fp = fn = steps = 0
    start = time.perf_counter()
    for graph, corrupted, index in corpus(traces, seed=11):
        for k, label in enumerate(label_steps(graph, corrupted).labels):
            steps += 1
            tp += label is False and k == index
            fp += label is False and k != index
            fn += label is not False and k == index
    took = time.perf_counter() - start
    print(f"step labels, {traces} corrupted traces ({steps} steps, arith + kg): precision "
          f"{tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}; {steps / took:,.0f} steps/s")
    _arith_family_labels(traces)


def _arith_family_labels(traces: int) -> None:
    """The same with graphs from the real `arith` family, where the package provides it."""
    try:
        from cotsynth.tasks import get
        family = get("arith")
        templates = family.templates()
    except Exception as err:  # noqa: BLE001 - optional section: the family API may not be there yet
        print(f"arith family section skipped: {type(err).__name__}: {err}")
        return
    from step_corpus import corrupt

    from cotsynth.verify.step_labels import label_steps

    rng = random.Random(5)
    tp = fp = fn = 0
    for index in range(traces):
        settings = {name: knob.default for name, knob in family.knobs.items()}
        graph = family.build(7, "bench", index, settings, templates).graph
        corrupted, wrong = corrupt(graph, rng)
        for k, label in enumerate(label_steps(graph, corrupted).labels):
            tp += label is False and k == wrong
            fp += label is False and k != wrong
            fn += label is not False and k == wrong
    print(f"step labels, {traces} corrupted traces of the arith family: precision "
          f"{tp / max(1, tp + fp):.3f}, recall {tp / max(1, tp + fn):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=1200)
    parser.add_argument("--traces", type=int, default=1000)
    args = parser.parse_args()
    bench_answers(make_pairs(args.pairs))
    bench_step_labels(args.traces)


if __name__ == "__main__":
    main()
