"""Examples/s per task family on the full symbolic path, single process, and the nearest reasoning-gym
generators timed in the same run.

The cotsynth path per example: build the problem (default knobs), render its fine CoT (steps style),
verify it (independent recomputation + every step), make the canonical record; then one Parquet write
of all records, inside the timing. reasoning-gym does less (question and answer only, no CoT, no
verification) and is timed by iterating its dataset. Every cotsynth item is verified, so this also
checks thousands of items per family against their independent recomputation: a failure is reported.

    /work/venv/bin/python benchmarks/generate.py [-n 2000] [--families arith,poly] [--rg-n N]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from cotsynth import tasks
from cotsynth.pipeline.steps.records import to_record
from cotsynth.schema import to_table
from cotsynth.tasks.knobs import resolve_knobs
from cotsynth.traces.symbolic import render
from cotsynth.traces.verify import verify_symbolic

# cotsynth family -> its nearest reasoning-gym generator
REASONING_GYM = {
    "arith": "basic_arithmetic",
    "linear_eq": "simple_equations",
    "poly": "polynomial_multiplication",
    "countdown": "countdown",
}
SEED = 1234


def time_family(family: str, count: int, out_dir: Path) -> tuple[float, int]:
    """(examples/s, unverified count) for `count` examples of `family` on the full symbolic path."""
    chosen = tasks.get(family)
    settings, templates = resolve_knobs(chosen.knobs, {}), chosen.templates()
    warm = chosen.build(SEED, f"{family}-warmup", 0, settings, templates)  # one-time imports, template compiles
    warm_trace = render(warm, "fine", "steps")
    # The first `to_table` imports pandas inside pyarrow (~0.2 s, once per process): not a per-example cost.
    pq.write_table(to_table([to_record(warm_trace, verify_symbolic(warm_trace), SEED)]), out_dir / "warmup.parquet")
    started = time.perf_counter()
    records, failed = [], 0
    for index in range(count):
        problem = chosen.build(SEED, f"{family}-bench", index, settings, templates)
        trace = render(problem, "fine", "steps")
        verdict = verify_symbolic(trace)
        failed += not verdict.verified
        records.append(to_record(trace, verdict, SEED))
    pq.write_table(to_table(records), out_dir / f"{family}.parquet")
    return count / (time.perf_counter() - started), failed


def time_reasoning_gym(name: str, count: int) -> float | None:
    """Items/s of a reasoning-gym generator (question + answer), or None when it is not installed."""
    try:
        import reasoning_gym
    except ImportError:
        return None
    dataset = reasoning_gym.create_dataset(name, size=count, seed=SEED)
    dataset[0]
    started = time.perf_counter()
    for index in range(count):
        dataset[index]
    return count / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="examples per cotsynth family")
    parser.add_argument("--rg-n", type=int, default=0, help="items per reasoning-gym generator (default: -n)")
    parser.add_argument("--families", default="", help="comma-separated; default: every registered family")
    args = parser.parse_args(argv)
    families = [f for f in args.families.split(",") if f] or tasks.names()

    rows, any_failed = [], False
    with tempfile.TemporaryDirectory() as folder:
        for family in families:
            rate, failed = time_family(family, args.n, Path(folder))
            any_failed |= failed > 0
            rival = REASONING_GYM.get(family)
            rival_rate = time_reasoning_gym(rival, args.rg_n or args.n) if rival else None
            rows.append((family, rate, failed, rival, rival_rate))
            print(f"  {family}: {rate:,.0f}/s", file=sys.stderr, flush=True)

    header = f"{'family':<12} {'ex/s':>9} {'unverified':>10}   {'reasoning-gym':<26} {'items/s':>9} {'ratio':>7}"
    print(f"\ncotsynth full symbolic path (generate + fine CoT + verify + Parquet), n={args.n}, single process")
    print(header)
    print("-" * len(header))
    for family, rate, failed, rival, rival_rate in rows:
        rival_text = rival or "-"
        if rival and rival_rate is None:
            rival_text += " (not installed)"
        rival_cell = f"{rival_rate:>9,.0f}" if rival_rate else f"{'-':>9}"
        ratio = f"{rate / rival_rate:>7.2f}" if rival_rate else f"{'-':>7}"
        print(f"{family:<12} {rate:>9,.0f} {failed:>10}   {rival_text:<26} {rival_cell} {ratio}")
    return 1 if any_failed else 0


if __name__ == "__main__":
    sys.exit(main())
