"""More than one mcd target: one split column per further target, beside the run's `split`.

`mcd.target_compound_divergence: [0.1, 0.3, 0.5]` gives the records' `split` column at the first
target; every further target gets a column `mcd_dc_<target>` in `split_columns.parquet` (one row per
shipped problem: `problem_id` and the columns), so one run yields CFQ's family of splits for a plot
of accuracy against compound divergence. Each column is settled for leakage like the run's split
(a crossing duplicate is dropped: the empty string); its divergences go to report.json.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from cotsynth.core.metrics import divergences
from cotsynth.splits.assign import check, mcd_splits
from cotsynth.splits.strategies import kept_in_train
from cotsynth.splits.config import SplitsConfig
from cotsynth.splits.leakage import leakage


def column_name(target: float) -> str:
    return f"mcd_dc_{target:g}"


def split_columns(
    problems: pa.Table, config: SplitsConfig, seed: int, threshold: float,
    signatures_of: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[pa.Table, dict] | None:
    """(the columns' table, their divergences per target) or None with fewer than two targets."""
    if config.strategy != "mcd" or config.mcd is None or len(config.mcd.targets()) < 2:
        return None
    columns: dict[str, pa.Array] = {"problem_id": problems.column("problem_id").combine_chunks()}
    summary = {}
    pinned = kept_in_train(problems, config.keep_in_train) if config.keep_in_train else None
    for target in config.mcd.targets()[1:]:
        splits = mcd_splits(problems, config, target, seed, pinned=pinned)
        check(problems, splits, config.strategy)
        settled = leakage(problems, splits.tolist(), config, threshold, signatures_of)["splits"]
        name = column_name(target)
        columns[name] = pa.array([s or "" for s in settled], pa.string())
        summary[name] = {"target": target, "dropped_for_leakage": sum(s is None for s in settled),
                         **divergences(problems, [s or "" for s in settled])}
    return pa.table(columns), summary
