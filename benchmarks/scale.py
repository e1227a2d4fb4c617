"""Peak RSS and examples/s of the quickstart mix at growing sizes: the pipeline must stream.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--executor local]

Each size runs in a fresh process (so peak RSS is that run's own), on the quickstart pipeline with
`count` set to the size; prints problems, rows written, seconds, rows/s and the driver's peak RSS,
the ratio of the largest size's peak RSS to the second largest (target: at most 1.5), and the growth
in bytes per added problem between them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = r"""
import json, resource, sys, time, copy
from pathlib import Path
import yaml
from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.resources import find_pipeline

size, out, executor = int(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
document = yaml.safe_load(find_pipeline("quickstart").read_text())
document["tasks"][0]["count"] = size
document["output"]["shard_rows"] = 100_000
started = time.perf_counter()
manifest = run_pipeline(parse_config(document), RunOptions(out_dir=out, executor=executor, overwrite=True))
seconds = time.perf_counter() - started
rows = sum(c["data"] for c in manifest["counts"]["splits"].values())
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"size": size, "rows": rows, "seconds": seconds, "peak_mb": peak_mb,
                  "finalize_seconds": manifest["timings"]["finalize_seconds"]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--executor", default="local", choices=["local", "ray"])
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cotsynth-scale-"))
    results = []
    try:
        for size in args.sizes:
            out = scratch / f"n{size}"
            done = subprocess.run(
                [sys.executable, "-c", CHILD, str(size), str(out), args.executor],
                capture_output=True, text=True, check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            shutil.rmtree(out, ignore_errors=True)
            r = results[-1]
            print(f"{r['size']:>9} problems  {r['rows']:>9} rows  {r['seconds']:8.1f} s  "
                  f"{r['rows'] / r['seconds']:8.0f} rows/s  peak RSS {r['peak_mb']:7.0f} MB  "
                  f"(finalize {r['finalize_seconds']:.1f} s)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(results) >= 2:
        big, small = results[-1], results[-2]
        per_problem = (big["peak_mb"] - small["peak_mb"]) * 2**20 / (big["size"] - small["size"])
        print(f"peak RSS ratio {big['size']} / {small['size']}: {big['peak_mb'] / small['peak_mb']:.2f} (target <= 1.5); "
              f"growth {per_problem:.0f} bytes per problem")


if __name__ == "__main__":
    main()
