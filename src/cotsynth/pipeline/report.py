"""The run's report (`report.json`, plots): the diversity, split and dedup figures of what ships.

`imap` (an executor's ordered map) runs its work: each unit's shipped rows are folded into a report
part, merged in unit order, then the sample metrics (Vendi, self-BLEU) start and run while the driver
writes the shards (`write` runs between start and finish): on the Ray workers for runs of 50,000 rows
or more, else on threads of the driver (`run.REPORT_ON_WORKERS_ROWS`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from threadpoolctl import threadpool_limits

from cotsynth.config import PipelineConfig
from cotsynth.core import progress
from cotsynth.diversity import DiversityReport
from cotsynth.diversity.reporting import report_part
from cotsynth.output.shards import write_text_atomic
from cotsynth.pipeline.curate import Settled
from cotsynth.pipeline.outdir import REPORT, SPLIT_COLUMNS
from cotsynth.pipeline.parts import Parts
from cotsynth.pipeline.writer import split_labels
from cotsynth.splits.columns import split_columns


def _report_inputs(config: PipelineConfig, parts: Parts, split_code: np.ndarray, n_records: np.ndarray) -> Iterator[tuple]:
    """Per unit with shipped rows, the arguments of its `report_part`: its shipped traces and kept
    questions with their splits, and the positions of its first of each among all that ship."""
    first_trace = first_question = 0
    for k, unit in enumerate(parts.units):
        codes = split_code[parts.rows(k)]
        kept = codes >= 0
        if not kept.any():
            continue
        per_record = np.repeat(codes, n_records[parts.rows(k)])
        shipped = per_record >= 0
        traces = parts.read(unit, "records", ["granularity", "cot", "cot_steps"]).filter(pa.array(shipped))
        traces = traces.append_column("split", split_labels(per_record[shipped]))
        questions = parts.read(unit, "problems", ["question"]).filter(pa.array(kept))
        yield (
            config.diversity,
            config.seed,
            traces,
            questions.column("question").combine_chunks(),
            split_labels(codes[kept]).to_pylist(),
            first_trace,
            first_question,
        )
        first_trace += traces.num_rows
        first_question += questions.num_rows


def coarse_overlap(problems: pa.Table) -> dict[str, Any]:
    """Among the kept problems with 3 or more fine steps, the share whose coarse trace restates the
    fine one step for step (each family groups fine steps into subgoals so that this is rare)."""
    long = np.asarray(problems.column("complexity")) >= 3
    same = np.asarray(problems.column("coarse_is_fine"))[long]
    return {"problems_with_3_fine_steps": int(long.sum()),
            "coarse_equals_fine_share": round(float(same.mean()), 4) if len(same) else 0.0}


def counted(imap: Callable) -> Callable:
    """`imap` whose results count as report jobs as they are taken (a list's calls add to the total)."""

    def run(fn: Callable, items: Any) -> Iterator[Any]:
        if isinstance(items, (list, tuple)):
            progress.add("report.total", len(items))
        return (_tick(result) for result in imap(fn, items))

    return run


def _tick(result: Any) -> Any:
    progress.add("report.done")
    return result


def build_report(
    config: PipelineConfig,
    parts: Parts,
    settled: Settled,
    split_code: np.ndarray,
    n_records: np.ndarray,
    imap: Callable,
    write: Callable[[], Any],
) -> tuple[dict[str, Any], Any]:
    """The report, written to `report.json`, and what `write()` returned (run while the metrics run)."""
    progress.put("report.total", 1 + sum(bool((split_code[parts.rows(k)] >= 0).any()) for k in range(len(parts.units))))
    imap = counted(imap)
    diversity = DiversityReport(config.diversity, config.seed)
    diversity.add_dedup(settled.dedup_reasons)
    diversity.add_problems(settled.problems, settled.splits)
    diversity.add_split_info(settled.split_info)
    for part in imap(report_part, _report_inputs(config, parts, split_code, n_records)):
        diversity.merge(part)
    out_dir: Path = parts.out_dir
    # One BLAS thread, set here for as long as any solve may run: the local executor runs the sample
    # metrics on threads of this process, and a limit set and lifted inside those threads is not
    # reliably lifted (OpenBLAS ignores a raise from a thread that did not lower it).
    with threadpool_limits(1, user_api="blas"):
        diversity.start_samples(imap)
        written = write()
        report = diversity.finish(out_dir)
    progress.add("report.done")  # the figures and plots
    extra = split_columns(settled.problems, config.splits, config.seed, config.diversity.threshold,
                          lambda r: parts.signatures(settled.rows[r]))
    if extra is not None:  # one split column per further mcd target
        pq.write_table(extra[0], out_dir / SPLIT_COLUMNS)
        report["split_columns"] = extra[1]
    report["leakage"] = settled.counts["leakage"]
    if any(t.source == "symbolic" and "coarse" in t.granularity for t in config.all_traces()):
        report["granularity"] = coarse_overlap(settled.problems)
    write_text_atomic(out_dir / REPORT, json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report, written
