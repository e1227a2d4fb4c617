"""Curation, the global steps over the compact problems table, in order: dedup → splits → leakage
→ select. Each step sees the table the previous one kept; the outcome is one split per kept problem,
the problems dropped (with stage and reason) and the counts of each step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from cotsynth.config import PipelineConfig
from cotsynth.diversity import dedup, select
from cotsynth.pipeline.progress import stage_done
from cotsynth.splits import assign, leakage
from cotsynth.splits.compounds import definition as compound_definition


@dataclass
class Settled:
    """What the global steps decided: the kept problems, their rows in the input, their splits, and
    why others went."""

    problems: pa.Table
    rows: np.ndarray
    splits: list[str]
    drops: list[dict[str, str]]
    counts: dict[str, Any]
    dedup_reasons: list[str | None]
    split_info: dict[str, Any]  # for the report: the compounds' definition, the mcd search


def settle_problems(
    config: PipelineConfig, problems: pa.Table, signatures_of: Callable[[np.ndarray], np.ndarray] | None = None
) -> Settled:
    """The global steps over the compact problems table: dedup, split, leakage, selection.

    `signatures_of(rows)` gives MinHash signatures of input rows (default: from the table, see
    `diversity.keys`); only near-duplicate candidates are asked for."""
    drops: list[dict[str, str]] = []
    generated = problems.num_rows
    rows = np.arange(generated)

    def drop(table: pa.Table, rows: np.ndarray, reasons: list[str | None], stage: str) -> tuple[pa.Table, np.ndarray]:
        gone = [k for k, reason in enumerate(reasons) if reason is not None]
        if not gone:
            return table, rows
        for problem_id, k in zip(table.column("problem_id").take(pa.array(gone)).to_pylist(), gone):
            drops.append({"id": problem_id, "stage": stage, "reason": reasons[k]})
        keep = np.ones(len(reasons), bool)
        keep[gone] = False
        return table.filter(pa.array(keep)), rows[keep]

    def signatures_here(rows_now: np.ndarray) -> Callable[[np.ndarray], np.ndarray] | None:
        return None if signatures_of is None else (lambda r: signatures_of(rows_now[r]))

    dedup_reasons = dedup(problems, config.diversity, signatures_here(rows))
    problems, rows = drop(problems, rows, dedup_reasons, "dedup")
    stage_done("dedup")
    after_dedup = problems.num_rows
    split_info = {"compounds": compound_definition(config.splits.compounds.max_size)}
    splits = assign(problems, config.splits, config.seed, split_info)
    stage_done("splits")
    settled = leakage(problems, splits, config.splits, config.diversity.threshold, signatures_here(rows))
    problems, rows = drop(problems, rows, settled["reasons"], "leakage")
    splits = [s for s in settled["splits"] if s is not None]
    stage_done("leakage")
    chosen = select(problems, splits, config.diversity, config.seed, signatures_here(rows))
    problems, rows = drop(problems, rows, [None if keep else "not_selected" for keep in chosen], "select")
    splits = [s for s, keep in zip(splits, chosen) if keep]
    stage_done("select")
    counts = {
        "dedup": {"kept_problems": after_dedup, "dropped_problems": generated - after_dedup},
        "leakage": {"moved": settled["moved"], "dropped": settled["dropped"], "policy": settled["policy"],
                    "by_problem_key": settled["by_problem_key"]},
        "select": {"kept_problems": problems.num_rows, "dropped_problems": len(chosen) - problems.num_rows},
    }
    return Settled(problems, rows, splits, drops, counts, dedup_reasons, split_info)
