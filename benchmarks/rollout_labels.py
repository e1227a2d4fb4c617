"""Rollout step labels (Math-Shepherd) on own_problems against teacher-sim: cost and agreement.

Prints requests per kept row (samples + continuations, over the rows the run keeps) and how far the
hard rollout labels agree with the steps teacher-sim actually got wrong (a step is truly right when
it comes before the injected wrong step), per step and per wrong trace (first False = the injected
step). `python benchmarks/rollout_labels.py [--per-step 4] [--p-wrong-step 0.3] [--keep all]`
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from cotsynth.config import load_config, parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.resources import find_pipeline
from cotsynth.teacher.sim import SimKnobs, start_sim


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-step", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2)
    parser.add_argument("--p-wrong-step", type=float, default=0.3)
    parser.add_argument("--keep", default="all", choices=["all", "verified", "first_verified", "best"])
    args = parser.parse_args()
    path = find_pipeline("own_problems")
    config = load_config(path)
    out = Path(tempfile.mkdtemp(prefix="cotsynth-rollouts-")) / "out"
    with start_sim(config, SimKnobs(seed=1, p_wrong_step=args.p_wrong_step)) as sim:
        doc = config.model_dump(mode="json")
        doc["traces"][0].update(endpoint={"base_url": sim.base_url, "model": "teacher-sim"}, keep=args.keep,
                                samples=args.samples, step_labels="rollouts",
                                rollouts={"per_step": args.per_step, "max_steps": 12})
        doc["output"]["dir"] = str(out)
        manifest = run_pipeline(parse_config(doc, base_dir=path.parent), RunOptions(out, "local"))
        injected = sim.stats(detail=True)["injected"]
    rows = pa.concat_tables([pq.read_table(p) for p in sorted((out / "data").glob("*.parquet"))]).to_pylist()
    teacher = manifest["counts"]["teacher"][0]
    sent = teacher["requests"]["answered"] + teacher["requests"]["cache_hits"]
    agree = steps = traces_wrong = found_first = 0
    for row in rows:
        wrong = injected[f"{row['id'].split('/', 1)[0]}#{row['sample_index']}#0"]["wrong_step"]
        labels = row["step_labels"] or []
        truth = [wrong is None or k < wrong for k in range(len(labels))]
        agree += sum(a == b for a, b in zip(labels, truth))
        steps += len(labels)
        if wrong is not None and labels:
            traces_wrong += 1
            found_first += labels.index(False) == wrong if False in labels else 0
    print(f"keep={args.keep} samples={args.samples} per_step={args.per_step} p_wrong_step={args.p_wrong_step}")
    print(f"kept rows {len(rows)}, requests {sent} (samples {teacher['samples']['requested']}, "
          f"rollouts {teacher['rollouts']['requests']}): {sent / max(1, len(rows)):.2f} requests per kept row")
    print(f"step labels agreeing with the injected wrong steps: {agree}/{steps} = {agree / max(1, steps):.3f}; "
          f"first False at the injected step in {found_first}/{traces_wrong} wrong traces")
    print(json.dumps(teacher["rollouts"]))


if __name__ == "__main__":
    main()
