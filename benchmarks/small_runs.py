"""Small runs end to end, as a user runs them: where the seconds go, and the report's share.

    python benchmarks/small_runs.py [--repeats 2]

Runs `cotsynth run` as a fresh process (so the figures include start-up: imports and, on Ray, the
embedded cluster) for the quickstart and for a mix of every built-in family at 60 problems each
(13 families, 780 problems), each on `--executor local` and on Ray. Prints per run the wall seconds
of the whole command and, from the manifest, the per-unit stages (map) and the global steps after
them (finalize: curation, writing the shards, and the report, whose work runs around and beside the
writing). The report's fixed cost is what the report adds to a run: its seconds outside the writing.
Each configuration runs `--repeats` times and the fastest is shown (the machine's other load only
ever adds time).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from cotsynth import tasks
from cotsynth.resources import find_pipeline

PER_FAMILY = 60


def all_families_pipeline(out: Path) -> dict:
    """Every built-in family (not the family files) at its default knobs, answer/coarse/fine."""
    built_in = [name for name in tasks.names() if tasks.origin(name) == "built-in"]
    return {
        "name": "all-families",
        "seed": 1234,
        "tasks": [{"family": name, "count": PER_FAMILY} for name in built_in],
        "traces": [{"source": "symbolic", "granularity": ["answer", "coarse", "fine"], "style": "steps"}],
        "splits": {"strategy": "iid", "test_fraction": 0.1},
        "diversity": {"dedup": "exact"},
        "output": {"dir": str(out), "formats": ["sft", "rl", "prm"]},
    }


def run(config: Path, out: Path, executor: str) -> dict:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "cotsynth.cli", "run", str(config), "--out", str(out), "--executor", executor,
                    "--overwrite"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    manifest = json.loads((out / "manifest.json").read_text())
    timings = manifest["timings"]
    rows = sum(c["data"] for c in manifest["counts"]["splits"].values())
    return {"wall": wall, "rows": rows, **{k: timings[k] for k in
            ("total_seconds", "map_wall_seconds", "finalize_seconds", "curate_seconds", "write_seconds", "report_seconds")}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="cotsynth-small-runs-"))
    try:
        mix = scratch / "all_families.yaml"
        mix.write_text(yaml.safe_dump(all_families_pipeline(scratch / "unused")))
        configs = {"quickstart (3,000 problems)": find_pipeline("quickstart"), f"13 families x {PER_FAMILY}": mix}
        print(f"{'run':<30}{'executor':<10}{'rows':>7}{'command s':>11}{'in-run s':>10}{'map s':>8}{'finalize s':>12}"
              f"{'curate':>8}{'write':>7}{'report':>8}{'report share':>14}")
        for name, config in configs.items():
            for executor in ("local", "ray"):
                best = min((run(config, scratch / "out", executor) for _ in range(args.repeats)), key=lambda r: r["wall"])
                share = best["report_seconds"] / best["wall"]
                print(f"{name:<30}{executor:<10}{best['rows']:>7}{best['wall']:>11.2f}{best['total_seconds']:>10.2f}"
                      f"{best['map_wall_seconds']:>8.2f}{best['finalize_seconds']:>12.2f}{best['curate_seconds']:>8.2f}"
                      f"{best['write_seconds']:>7.2f}{best['report_seconds']:>8.2f}{share:>13.1%}")
    finally:
        shutil.rmtree(scratch)


if __name__ == "__main__":
    main()
