"""Leakage removal: no exact or near duplicate question may sit in two different splits.

Rows linked by exact or near duplication form components; a component spanning splits is settled
toward train (or, without a train member, toward its earliest row): its other rows are moved there
(`move`, the default for iid, where moving cannot break a hold-out) or dropped (`drop`, the default
for compositional splits, where moving a test row into train would leak a held-out structure).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from cotsynth.diversity.dedup import exact_representatives
from cotsynth.diversity.keys import question_keys
from cotsynth.core.metrics import split_codes
from cotsynth.core.vocabulary import SPLITS
from cotsynth.diversity.minhash import near_pairs
from cotsynth.splits.config import SplitsConfig
from cotsynth.splits.errors import SplitError


def _components(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(i), np.int8), (i, j)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def leakage(
    problems: pa.Table,
    splits: list[str],
    config: SplitsConfig,
    threshold: float = 0.9,
    signatures_of: Callable[[np.ndarray], np.ndarray] | None = None,
) -> dict:
    """Settle duplicates that cross splits. Returns a JSON-able dict:

    `splits` (per row the new split, or None if dropped), `reasons` (per row None or
    `leak_of:<problem_id>`), `moved`, `dropped`, `crossing_groups`, `policy`, `threshold`.
    """
    n = problems.num_rows
    policy = config.leakage if config.leakage != "auto" else ("move" if config.strategy == "iid" else "drop")
    keys = question_keys(problems, threshold, signatures_of)
    exact = exact_representatives(keys.exact)
    unique = np.flatnonzero(exact == np.arange(n))
    distinct = keys.take(unique)
    ni, nj, _ = near_pairs(distinct.bands, distinct.signatures_of, threshold)
    i = np.concatenate([exact, unique[ni]])
    j = np.concatenate([np.arange(n), unique[nj]])
    comp = _components(n, i, j) if n else np.empty(0, np.int64)

    s = split_codes(splits)
    has_train = np.zeros(comp.max() + 1 if n else 0, bool)
    np.logical_or.at(has_train, comp, s == 0)
    first = np.full(len(has_train), n, np.int64)
    np.minimum.at(first, comp, np.arange(n))
    target = np.where(has_train[comp], 0, s[first[comp]])
    crossing = (s != target) & (s >= 0)
    owner = np.where(has_train[comp], -1, first[comp])
    train_rows = np.flatnonzero(s == 0)
    train_owner = np.full(len(has_train), -1, np.int64)
    train_owner[comp[train_rows[::-1]]] = train_rows[::-1]  # earliest train row of each component
    owner = np.where(owner < 0, train_owner[comp], owner)

    out_splits: list[str | None] = list(splits)
    reasons: list[str | None] = [None] * n
    rows = np.flatnonzero(crossing)
    owners = problems.column("problem_id").take(pa.array(owner[rows])).to_pylist()
    for k, of in zip(rows.tolist(), owners):
        if policy == "move":
            out_splits[k] = SPLITS[int(target[k])]
        else:
            out_splits[k] = None
            reasons[k] = f"leak_of:{of}"
    if not any(x == "test" for x in out_splits):
        raise SplitError("test split is empty after removing duplicates of train problems from it")
    return {
        "splits": out_splits,
        "reasons": reasons,
        "policy": policy,
        "threshold": threshold,
        "crossing_groups": int(len(np.unique(comp[crossing]))) if crossing.any() else 0,
        "moved": int(crossing.sum()) if policy == "move" else 0,
        "dropped": int(crossing.sum()) if policy == "drop" else 0,
    }
