"""Examples/s of the quickstart family on the local executor and on Ray with 1 and 2 workers.

    python benchmarks/throughput.py [--problems 200000] [--all]

The default gives the scaling figure at 2 x 10^5 problems in under 5 minutes on 2 cores: the local
run on one core, then Ray with 2 workers. Scaling efficiency = Ray-2 rate / (2 x local rate), where
the local rate is that of one core: the local run pinned to one CPU (sched_setaffinity, so the
report's threads share it) with BLAS held to one thread (threadpoolctl), as Ray gives each 1-CPU
actor (OMP_NUM_THREADS=1). `--all` adds the local run on every core with the default BLAS threads
(not a one-core rate) and Ray with 1 worker (the strong-scaling baseline), about twice as long.

All are measured in the same run on the same config; Ray is started once beforehand and its
start-up time is printed separately. The report's fixed work weighs less as the run grows, so the
figure is taken at 2 x 10^5 problems or more.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml
from threadpoolctl import threadpool_limits

from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.resources import find_pipeline


def measure(document: dict, out: Path, **options) -> tuple[float, int, float, float, float]:
    """Seconds end to end, rows written, and the two phases: the parallel per-unit stages (map) and
    the driver's global steps and writing (finalize), and of finalize the report's seconds outside
    the writing."""
    started = time.perf_counter()
    manifest = run_pipeline(parse_config(document), RunOptions(out_dir=out, overwrite=True, **options))
    seconds = time.perf_counter() - started
    rows = sum(c["data"] for c in manifest["counts"]["splits"].values())
    timings = manifest["timings"]
    return seconds, rows, timings["map_wall_seconds"], timings["finalize_seconds"], timings["report_seconds"]


@contextmanager
def one_core() -> Iterator[None]:
    """This process on one CPU while inside (where the OS lets a process choose its CPUs)."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    every = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(every)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, every)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--problems", type=int, default=200_000)
    parser.add_argument("--all", action="store_true", help="also local with BLAS threads, and Ray with 1 worker")
    args = parser.parse_args()

    document = yaml.safe_load(find_pipeline("quickstart").read_text())
    document = copy.deepcopy(document)
    document["tasks"][0]["count"] = args.problems
    document["output"]["shard_rows"] = 50_000

    import ray

    started = began = time.perf_counter()
    ray.init(address="local", include_dashboard=False, logging_level="ERROR", log_to_driver=False)
    ray_start = time.perf_counter() - started

    scratch = Path(tempfile.mkdtemp(prefix="cotsynth-throughput-"))
    try:
        results = {}
        if args.all:
            results["local, BLAS threads"] = measure(document, scratch / "local-threads", executor="local")
        with one_core(), threadpool_limits(limits=1):
            results["local, 1 core"] = measure(document, scratch / "local", executor="local")
        if args.all:
            results["ray, 1 worker"] = measure(document, scratch / "ray1", executor="ray", workers=1)
        results["ray, 2 workers"] = measure(document, scratch / "ray2", executor="ray", workers=2)
    finally:
        shutil.rmtree(scratch)
        ray.shutdown()

    print(f"quickstart family (arith, answer/coarse/fine), {args.problems} problems; Ray start-up {ray_start:.1f} s;"
          f" benchmark {time.perf_counter() - began:.0f} s")
    print(f"{'executor':<20}{'seconds':>9}{'examples':>10}{'examples/s':>12}{'map s':>8}{'map ex/s':>10}{'finalize s':>12}"
          f"{'report s':>10}{'report share':>14}")
    rates, map_rates = {}, {}
    for name, (seconds, rows, map_seconds, finalize_seconds, report_seconds) in results.items():
        rates[name], map_rates[name] = rows / seconds, rows / map_seconds
        print(f"{name:<20}{seconds:>9.2f}{rows:>10}{rates[name]:>12.0f}{map_seconds:>8.2f}{map_rates[name]:>10.0f}"
              f"{finalize_seconds:>12.2f}{report_seconds:>10.2f}{report_seconds / seconds:>14.1%}")
    for label, table in (("end to end", rates), ("map stage", map_rates)):
        local, ray2 = table["local, 1 core"], table["ray, 2 workers"]
        line = f"{label}: ratio ray-2 / local {ray2 / local:.2f}; scaling efficiency ray-2 / (2 x local) {ray2 / (2 * local):.0%}"
        if args.all:
            line += (f" (against the local run with BLAS threads: {ray2 / (2 * table['local, BLAS threads']):.0%};"
                     f" against ray-1: {ray2 / (2 * table['ray, 1 worker']):.0%})")
        print(line)


if __name__ == "__main__":
    main()
