"""The run's report (`report.json`, plots): the diversity, split and dedup figures of what ships.

`imap` (an executor's ordered map) runs its work: each unit's shipped rows are folded into a report
part, merged in unit order, then the sample metrics (Vendi, self-BLEU) start; on Ray both run on the
workers, the metrics while the driver writes the shards (`write` runs between start and finish).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity import DiversityReport
from cotsynth.diversity.reporting import report_part
from cotsynth.output.shards import write_text_atomic
from cotsynth.pipeline.curate import Settled
from cotsynth.pipeline.outdir import REPORT
from cotsynth.pipeline.parts import Parts
from cotsynth.pipeline.writer import split_labels


def _report_inputs(config: PipelineConfig, parts: Parts, split_code: np.ndarray, n_records: np.ndarray) -> Iterator[tuple]:
    """Per unit with shipped rows, the arguments of its `report_part`: its shipped traces and kept
    questions with their splits, and the worker's sketches when every row ships."""
    for k, unit in enumerate(parts.units):
        codes = split_code[parts.rows(k)]
        kept = codes >= 0
        if not kept.any():
            continue
        per_record = np.repeat(codes, n_records[parts.rows(k)])
        shipped = per_record >= 0
        traces = parts.read(unit, "records", ["granularity", "cot", "cot_steps"]).filter(pa.array(shipped))
        traces = traces.append_column("split", split_labels(per_record[shipped]))
        questions = parts.read(unit, "problems", ["problem_id", "question"]).filter(pa.array(kept))
        yield (
            config.diversity,
            config.seed,
            traces,
            questions.column("question").combine_chunks(),
            questions.column("problem_id").combine_chunks(),
            split_labels(codes[kept]).to_pylist(),
            parts.read(unit, "sketches") if kept.all() else None,
        )


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
    diversity = DiversityReport(config.diversity, config.seed)
    diversity.add_dedup(settled.dedup_reasons)
    diversity.add_problems(settled.problems, settled.splits)
    for part in imap(report_part, _report_inputs(config, parts, split_code, n_records)):
        diversity.merge(part)
    diversity.start_samples(imap)
    written = write()
    out_dir: Path = parts.out_dir
    report = diversity.finish(out_dir)
    write_text_atomic(out_dir / REPORT, json.dumps(report, indent=2, sort_keys=True) + "\n")
    return report, written
