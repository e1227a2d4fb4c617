"""Dedup + split + metrics at 10^4, 10^5 and 10^6 synthetic problems: seconds and peak RSS per size.

Each size runs in a fresh process (peak RSS is per process) on a problems table generated beforehand by
another process and read from Parquet, so generation does not count. One fine CoT trace per problem is
fed to the report in batches of 50,000, as the run driver streams them.

    PYTHONPATH=src python benchmarks/diversity_scale.py [--sizes 10000 100000 1000000]

Target (issue 6): 10^6 in under 5 minutes on 2 cores with peak RSS under 4 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = Path(tempfile.gettempdir()) / "cotsynth-diversity-bench"


def generate(n: int) -> Path:
    path = WORK / f"problems-{n}.parquet"
    if not path.exists():
        sys.path.insert(0, str(ROOT / "tests" / "diversity"))
        import pyarrow.parquet as pq
        from synthetic import problems_table

        WORK.mkdir(parents=True, exist_ok=True)
        pq.write_table(problems_table(n, seed=1, near_dup_fraction=0.03, exact_dup_fraction=0.01), path)
    return path


def measure(path: str) -> dict:
    import resource
    import time

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from cotsynth.diversity import DiversityConfig, DiversityReport, dedup
    from cotsynth.splits import SplitsConfig, assign, leakage

    problems = pq.read_table(path)
    cfg = DiversityConfig(dedup="minhash", threshold=0.9, embed="off")
    split_cfg = SplitsConfig(strategy="heldout_compounds", test_fraction=0.2)
    times = {}
    t = time.perf_counter()
    reasons = dedup(problems, cfg)
    times["dedup"] = time.perf_counter() - t
    kept = problems.filter(pa.array([r is None for r in reasons]))
    t = time.perf_counter()
    splits = assign(kept, split_cfg, 1)
    leak = leakage(kept, splits, split_cfg, cfg.threshold)
    times["split"] = time.perf_counter() - t
    keep = [s is not None for s in leak["splits"]]
    kept = kept.filter(pa.array(keep))
    splits = [s for s in leak["splits"] if s is not None]
    t = time.perf_counter()
    acc = DiversityReport(cfg, seed=1)
    acc.add_dedup(reasons)
    acc.add_problems(kept, splits)
    split_col = pa.array(splits)
    for start in range(0, kept.num_rows, 50_000):
        q = kept.column("question").slice(start, 50_000)
        cot = pc.binary_join_element_wise("Step 1: read the question. ", q, " Step 2: compute each operation in order. The answer is 42.", "")
        acc.add_traces(pa.table({
            "split": split_col.slice(start, 50_000), "question": q, "cot": cot,
            "cot_steps": pa.array([["read", "compute"]] * len(q), pa.list_(pa.string())),
            "granularity": pa.array(["fine"] * len(q)), "template_id": kept.column("template_id").slice(start, 50_000),
        }))
    with tempfile.TemporaryDirectory() as out:
        report = acc.finish(out)
    times["metrics"] = time.perf_counter() - t
    return {
        "rows": problems.num_rows,
        "dropped_dedup": sum(r is not None for r in reasons),
        "dropped_leakage": leak["dropped"],
        **{k: round(v, 1) for k, v in times.items()},
        "total": round(sum(times.values()), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "compound_divergence": report["divergence"]["test"]["compound_divergence"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    cols = ["rows", "dedup", "split", "metrics", "total", "peak_rss_mb", "dropped_dedup", "dropped_leakage"]
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for n in args.sizes:
        path = generate(n)
        out = subprocess.run([sys.executable, __file__, "--measure", str(path)], capture_output=True, text=True, check=True)
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print("| " + " | ".join(str(row[c]) for c in cols) + " |", flush=True)


if __name__ == "__main__":
    main()
