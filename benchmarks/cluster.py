"""Run a pipeline on a two-node Ray cluster started on this machine; check it equals a local run.

    python benchmarks/cluster.py [--pipeline pipelines/quickstart.yaml] [--limit 2000]

Starts `ray start --head` and a second `ray start --address` (one CPU each, token auth with a
throw-away token), runs `cotsynth run --ray-address` against it and `cotsynth run --executor local`,
compares the output bytes (shards, report.json, drops.jsonl), prints the nodes and the timings, and stops the cluster with
`ray stop` (which stops every Ray process on this machine: do not run it beside other Ray jobs).
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def output_bytes(folder: Path) -> dict[str, bytes]:
    """The shards, the report (its folds and sample metrics ran on the cluster's workers) and the drops."""
    paths = [*folder.rglob("*.parquet"), folder / "report.json", folder / "drops.jsonl"]
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(paths)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", default="pipelines/quickstart.yaml")
    parser.add_argument("--limit", type=int, default=2000)
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="cotsynth-cluster-"))
    env = os.environ | {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env.pop("RAY_ADDRESS", None)
    address = f"127.0.0.1:{free_port()}"
    ray = str(BIN / "ray")
    cotsynth = str(BIN / "cotsynth")
    try:
        start = ["--num-cpus", "1", "--disable-usage-stats"]
        run([ray, "start", "--head", "--port", address.split(":")[1], "--include-dashboard=false", *start], env)
        run([ray, "start", "--address", address, *start], env)
        nodes = subprocess.run(
            [sys.executable, "-c", "import ray; ray.init(); print(len(ray.nodes()), ray.cluster_resources()['CPU'])"],
            env=env | {"RAY_ADDRESS": address}, capture_output=True, text=True, check=True,
        ).stdout.split()
        common = [args.pipeline, "--limit", str(args.limit)]
        cluster_seconds = run([cotsynth, "run", *common, "--ray-address", address, "--out", str(scratch / "cluster")], env)
        local_seconds = run([cotsynth, "run", *common, "--executor", "local", "--out", str(scratch / "local")], env)
        same = output_bytes(scratch / "cluster") == output_bytes(scratch / "local")
        print(f"cluster: {nodes[0]} nodes, {nodes[1]} CPUs at {address}")
        print(f"cluster run {cluster_seconds:.1f} s, local run {local_seconds:.1f} s, {args.limit} problems per task")
        print(f"output (Parquet shards, report.json, drops.jsonl) identical to the local run: {same}")
        if not same:
            sys.exit(1)
    finally:
        subprocess.run([ray, "stop", "--force"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
