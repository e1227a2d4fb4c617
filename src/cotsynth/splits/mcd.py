"""Maximum compound divergence split (the CFQ method), or a split at a chosen compound divergence.

Rows with identical atoms and compounds are interchangeable for both divergences, so the search
(`search.Search`) decides only how many rows of each such group go to test; which rows is a seeded
hash order inside the group, so the result does not depend on row order. The atom divergence bound
is hard: when no state of the search meets it, the split fails with a SplitError.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy import sparse

from cotsynth.core.seeding import bits53, unit_hash
from cotsynth.core.metrics import flatten_codes
from cotsynth.splits.config import MCDParams
from cotsynth.splits.errors import SplitError
from cotsynth.splits.search import Goal, Result, Search, Tables
from cotsynth.splits.strategies import group_keys


def _group_matrix(lists: pa.Array | pa.ChunkedArray, group: np.ndarray, first_row: np.ndarray) -> sparse.csr_matrix:
    """(groups, vocabulary) occurrences in one row of each group (all its rows have the same)."""
    vocab, c, rows = flatten_codes(lists)
    g = len(first_row)
    is_first = first_row[group[rows]] == rows
    ones = np.ones(int(is_first.sum()))
    return sparse.csr_matrix((ones, (group[rows[is_first]], c[is_first])), shape=(g, max(1, len(vocab))))


def tables(problems: pa.Table) -> tuple[list[str], np.ndarray, Tables]:
    """(group keys, group per row, the search's tables)."""
    keys, group = group_keys(problems)
    g = len(keys)
    first_row = np.full(g, problems.num_rows, np.int64)
    np.minimum.at(first_row, group, np.arange(problems.num_rows))
    size = np.bincount(group, minlength=g).astype(np.float64)
    return keys, group, Tables(
        size,
        _group_matrix(problems.column("compounds"), group, first_row),
        _group_matrix(problems.column("atoms"), group, first_row),
    )


def search(problems: pa.Table, params: MCDParams, test_fraction: float, seed: int, target: float | None,
           bound: float | None = None) -> tuple[np.ndarray, Result]:
    """(test mask per row, the search's result); `bound` overrides the params' atom divergence bound."""
    keys, group, t = tables(problems)
    bound = params.max_atom_divergence if bound is None else bound
    goal = Goal(test_fraction * problems.num_rows, params.size_tolerance, bound, target)
    salt = "mcd" if target is None else f"mcd:{target!r}"
    rng = np.random.default_rng(bits53(seed, salt, "rng"))
    result = Search(t, goal, rng).run(params.iterations, params.restarts)
    if result is None:
        raise SplitError(
            f"mcd found no split with atom divergence <= {bound} and test size within "
            f"{params.size_tolerance:.0%} of {test_fraction:.0%} of {problems.num_rows} problems over "
            f"{len(keys)} groups of interchangeable problems; raise `max_atom_divergence` or `size_tolerance`"
        )
    if target is not None and abs(result.compound_divergence - target) > 0.05:
        raise SplitError(
            f"mcd could not reach `target_compound_divergence` {target}: the closest split found has "
            f"{result.compound_divergence:.3f} with atom divergence <= {bound}"
        )
    return _rows(problems, group, result.x, seed), result


def _rows(problems: pa.Table, group: np.ndarray, x: np.ndarray, seed: int) -> np.ndarray:
    """Test mask: in each group, the x[g] rows first in seeded hash order."""
    order = np.lexsort((unit_hash(seed, problems.column("problem_id"), "mcd-rows"), group))
    starts = np.searchsorted(group[order], np.arange(len(x)))
    rank = np.empty(len(group), np.int64)
    rank[order] = np.arange(len(group)) - starts[group[order]]
    return rank < np.rint(x)[group]
