"""Examples/s per task family on the full symbolic path, single process, and the nearest reasoning-gym
generators timed in the same run.

The cotsynth path per example: build the problem (default knobs), render its fine CoT (steps style),
verify it (independent recomputation + every step), make the canonical record; then one Parquet write
of all records, inside the timing. reasoning-gym does less (question and answer only, no CoT, no
verification) and is timed by iterating its dataset. Every cotsynth item is verified, so this also
checks thousands of items per family against their independent recomputation: a failure is reported.
Rates are given in wall time and in this process's CPU time: on a shared machine the CPU figures (and
their ratio) are the ones that do not follow the other jobs' load.

`--declarative` compares each family file (the shipped ones, or those given to `--families` by path)
with the built-in `arith` at the same number of operations (`steps` = the file's step count): the
cost of the declarative path (sampling with constraints, the compiled expressions, templates,
claim checks) against a hand-written generator of the same graph size, and the share of draws each
file's constraints rejected.

    /work/venv/bin/python benchmarks/generate.py [-n 2000] [--families arith,poly] [--rg-n N]
    /work/venv/bin/python benchmarks/generate.py --declarative [-n 2000] [--families my/family.yaml]
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
from cotsynth.tasks.declarative import DeclarativeFamily, is_family_file, load_family
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
# Where the family's default mix holds more than the peer makes, the peer's kind is timed as well (a
# row `family[knobs]`): simple_equations makes one equation in one variable, linear_eq's default
# mixes in 2x2 systems (elimination and back-substitution: about twice the steps).
MATCHED_KNOBS = {"linear_eq": {"kind": "single"}}
SEED = 1234


def time_family(family: str, count: int, out_dir: Path, knobs: dict | None = None) -> tuple[float, float, int]:
    """(examples/s wall, examples/s CPU, unverified count) for `count` examples of `family` on the full symbolic path."""
    chosen = tasks.get(family)
    settings, templates = resolve_knobs(chosen.knobs, knobs or {}), chosen.templates()
    warm = chosen.build(SEED, f"{family}-warmup", 0, settings, templates)  # one-time imports, template compiles
    warm_trace = render(warm, "fine", "steps")
    # The first `to_table` imports pandas inside pyarrow (~0.2 s, once per process): not a per-example cost.
    pq.write_table(to_table([to_record(warm_trace, verify_symbolic(warm_trace), SEED)]), out_dir / "warmup.parquet")
    started, cpu = time.perf_counter(), time.process_time()
    records, failed = [], 0
    for index in range(count):
        problem = chosen.build(SEED, f"{family}-bench", index, settings, templates)
        trace = render(problem, "fine", "steps")
        verdict = verify_symbolic(trace)
        failed += not verdict.verified
        records.append(to_record(trace, verdict, SEED))
    pq.write_table(to_table(records), out_dir / f"{family}.parquet")
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu), failed


def time_reasoning_gym(name: str, count: int) -> tuple[float, float] | None:
    """Items/s (wall, CPU) of a reasoning-gym generator (question + answer), or None when it is not installed."""
    try:
        import reasoning_gym
    except ImportError:
        return None
    dataset = reasoning_gym.create_dataset(name, size=count, seed=SEED)
    dataset[0]
    started, cpu = time.perf_counter(), time.process_time()
    for index in range(count):
        dataset[index]
    return count / (time.perf_counter() - started), count / (time.process_time() - cpu)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="examples per cotsynth family")
    parser.add_argument("--rg-n", type=int, default=0, help="items per reasoning-gym generator (default: -n)")
    parser.add_argument("--families", default="", help="comma-separated; default: every registered family")
    parser.add_argument("--declarative", action="store_true",
                        help="family files against arith at the same number of steps")
    args = parser.parse_args(argv)
    families = [_registered(f) for f in args.families.split(",") if f] or tasks.names()
    if args.declarative:
        return compare_declarative([f for f in families if isinstance(tasks.get(f), DeclarativeFamily)], args.n)

    rows, any_failed = [], False
    with tempfile.TemporaryDirectory() as folder:
        for family in families:
            rate, cpu_rate, failed = time_family(family, args.n, Path(folder))
            any_failed |= failed > 0
            rival = REASONING_GYM.get(family)
            rival_rates = time_reasoning_gym(rival, args.rg_n or args.n) if rival else None
            rows.append((family, rate, cpu_rate, failed, rival, rival_rates))
            print(f"  {family}: {rate:,.0f}/s", file=sys.stderr, flush=True)
            if family in MATCHED_KNOBS:
                knobs = MATCHED_KNOBS[family]
                rate, cpu_rate, failed = time_family(family, args.n, Path(folder), knobs)
                any_failed |= failed > 0
                label = f"{family}[{','.join(f'{k}={v}' for k, v in knobs.items())}]"
                rows.append((label, rate, cpu_rate, failed, rival, rival_rates))
                print(f"  {label}: {rate:,.0f}/s", file=sys.stderr, flush=True)

    lines = []
    for family, rate, cpu_rate, failed, rival, rival_rates in rows:
        rival_text = rival or "-"
        if rival and rival_rates is None:
            rival_text += " (not installed)"
        if rival_rates:
            wall, cpu = rival_rates
            rival_cells = f"{wall:>9,.0f} {cpu:>9,.0f} {rate / wall:>7.2f} {cpu_rate / cpu:>9.2f}"
        else:
            rival_cells = f"{'-':>9} {'-':>9} {'-':>7} {'-':>9}"
        lines.append(f"{family:<22} {rate:>9,.0f} {cpu_rate:>9,.0f} {failed:>10}   {rival_text:<26} {rival_cells}")
    print_table(f"cotsynth full symbolic path (generate + fine CoT + verify + Parquet), n={args.n}, single process",
                f"{'family':<22} {'ex/s':>9} {'cpu ex/s':>9} {'unverified':>10}   {'reasoning-gym':<26} {'items/s':>9}"
                f" {'cpu it/s':>9} {'ratio':>7} {'cpu ratio':>9}",
                lines)
    return 1 if any_failed else 0


def print_table(title: str, header: str, lines: list[str]) -> None:
    print(f"\n{title}")
    print(header)
    print("-" * len(header))
    print("\n".join(lines))


def _registered(family: str) -> str:
    """A family name, registering a family file given by path."""
    if not is_family_file(family):
        return family
    loaded = load_family(family)
    tasks.add(loaded)
    return loaded.name


def compare_declarative(families: list[str], count: int) -> int:
    """Each family file against `arith` with as many steps, timed one after the other (wall and CPU
    rates: the CPU ratio is the one that does not follow a shared machine's load), with the share of
    draws its constraints rejected."""
    rows, any_failed = [], False
    with tempfile.TemporaryDirectory() as folder:
        for family in families:
            chosen = tasks.get(family)
            steps = len(chosen.spec.steps)
            chosen.draws.clear()
            rate, cpu_rate, failed = time_family(family, count, Path(folder))
            rejected = chosen.rejection_rate
            builtin, builtin_cpu, builtin_failed = time_family("arith", count, Path(folder), {"steps": steps, "depth": 0})
            any_failed |= failed + builtin_failed > 0
            rows.append((family, steps, rejected, rate, cpu_rate, failed, builtin, builtin_cpu))
            print(f"  {family}: {rate:,.0f}/s, arith steps={steps}: {builtin:,.0f}/s", file=sys.stderr, flush=True)
    print_table(f"declarative vs built-in, full symbolic path (generate + fine CoT + verify + Parquet), n={count}",
                f"{'family file':<18} {'steps':>5} {'rejected':>8} {'ex/s':>7} {'cpu ex/s':>8} {'unverified':>10} "
                f"{'arith ex/s':>10} {'cpu':>7} {'ratio':>6} {'cpu ratio':>9}",
                [f"{family:<18} {steps:>5} {rejected:>8.1%} {rate:>7,.0f} {cpu_rate:>8,.0f} {failed:>10} "
                 f"{builtin:>10,.0f} {builtin_cpu:>7,.0f} {rate / builtin:>6.2f} {cpu_rate / builtin_cpu:>9.2f}"
                 for family, steps, rejected, rate, cpu_rate, failed, builtin, builtin_cpu in rows])
    return 1 if any_failed else 0


if __name__ == "__main__":
    sys.exit(main())
