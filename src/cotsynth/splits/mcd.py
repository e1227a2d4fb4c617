"""Maximum compound divergence split (the CFQ method): greedy search at the level of row groups.

Rows with identical atoms and compounds are interchangeable for both divergences, so the search moves
whole groups: a seeded first-fit fill gives a random group-level split of the right size, then each
iteration evaluates a batch of seeded candidate moves and swaps and applies the best one that raises
the compound divergence while the atom divergence stays under the bound (or, while it is above, the
one that lowers it most), the test size within 25% of its target, and every atom in train.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cotsynth.core.seeding import bits53, unit_hash
from cotsynth.core.metrics import ATOM_ALPHA, COMPOUND_ALPHA, chernoff_divergence, flatten_codes
from cotsynth.splits.config import MCDParams
from cotsynth.splits.strategies import group_keys

_CANDIDATES = 16


def _group_matrix(lists: pa.Array | pa.ChunkedArray, group: np.ndarray, groups: int) -> np.ndarray:
    """(groups, vocabulary) occurrence counts."""
    vocab, c, rows = flatten_codes(lists)
    width = max(1, len(vocab))
    return np.bincount(group[rows] * width + c, minlength=groups * width).reshape(groups, width).astype(np.float64)


def mcd(problems: pa.Table, params: MCDParams, test_fraction: float, seed: int) -> np.ndarray:
    n = problems.num_rows
    keys, group = group_keys(problems)
    g = len(keys)
    size = np.bincount(group, minlength=g).astype(np.float64)
    comp = _group_matrix(problems.column("compounds"), group, g)
    atom = _group_matrix(problems.column("atoms"), group, g)
    target = test_fraction * n
    lo, hi = 0.75 * target, 1.25 * target

    in_test = np.zeros(g, bool)
    filled = 0.0
    for k in np.argsort(unit_hash(seed, keys, "mcd"), kind="stable").tolist():
        if filled + size[k] <= target:
            in_test[k] = True
            filled += size[k]

    te_c, te_a = comp[in_test].sum(0), atom[in_test].sum(0)
    all_c, all_a = comp.sum(0), atom.sum(0)
    te_size = size[in_test].sum()

    def score(out_of_test: int, into_test: int) -> tuple[float, float, bool, np.ndarray, np.ndarray, float]:
        """Divergences after moving group `out_of_test` to train and `into_test` to test (-1: none)."""
        c, a, s = te_c.copy(), te_a.copy(), te_size
        for k, sign in ((out_of_test, -1.0), (into_test, 1.0)):
            if k >= 0:
                c += sign * comp[k]
                a += sign * atom[k]
                s += sign * size[k]
        ok = lo <= s <= hi and not ((a > 0) & (all_a - a == 0)).any()
        return (chernoff_divergence(all_c - c, c, COMPOUND_ALPHA), chernoff_divergence(all_a - a, a, ATOM_ALPHA), ok, c, a, s)

    best = chernoff_divergence(all_c - te_c, te_c, COMPOUND_ALPHA)
    current_da = chernoff_divergence(all_a - te_a, te_a, ATOM_ALPHA)
    rng = np.random.default_rng(bits53(seed, "rng", "mcd"))
    for _ in range(params.iterations if g > 1 else 0):
        test_groups, train_groups = np.flatnonzero(in_test), np.flatnonzero(~in_test)
        chosen = None
        for _ in range(_CANDIDATES):
            kind = int(rng.integers(3))  # 0: move to train, 1: move to test, 2: swap
            out = int(rng.choice(test_groups)) if kind != 1 and len(test_groups) else -1
            into = int(rng.choice(train_groups)) if kind != 0 and len(train_groups) else -1
            d_c, d_a, ok, c, a, sz = score(out, into)
            if not ok:
                continue
            if current_da > params.max_atom_divergence:  # first get under the bound
                better = d_a < current_da
            else:
                better = d_a <= params.max_atom_divergence and d_c > best
            if better:
                best, current_da, chosen = d_c, d_a, (out, into, c, a, sz)
        if chosen is not None:
            out, into, te_c, te_a, te_size = chosen
            if out >= 0:
                in_test[out] = False
            if into >= 0:
                in_test[into] = True
    return in_test[group]
