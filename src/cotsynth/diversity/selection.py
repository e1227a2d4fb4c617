"""Diversity-aware selection of train rows to a target size, and its comparison with a random subset.

`compounds` is Structurally Diverse Sampling-style greedy coverage: each pick maximizes the sum over
its structures (compounds, atoms, template, shape) of 1 / (1 + times already selected), so it first
covers every structure and then keeps balancing them. Rows with the same structures are one group and
are drawn in seeded order, which keeps the lazy greedy loop over groups, not rows.
`minhash` is farthest-point sampling over MinHash signatures (1 - estimated Jaccard) within a seeded
candidate pool, bounded so that pool x size stays near 2 * 10^8 signature comparisons.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.diversity.config import DiversityConfig
from cotsynth.core.seeding import unit_hash
from cotsynth.core.metrics import codes, entropy, flatten_codes, split_codes
from cotsynth.diversity.keys import question_keys
from cotsynth.diversity.text import distinct_n
from cotsynth.diversity.vendi import dual_vendi, hashed_features

_FPS_BUDGET = 200_000_000 // 128


def _units(problems: pa.Table) -> tuple[int, np.ndarray, np.ndarray]:
    """(vocabulary size, unit code, row) of every structure of every row."""
    n = problems.num_rows
    rows_list, codes_list, width = [], [], 0
    for name in ("compounds", "atoms"):
        vocab, c, rows = flatten_codes(problems.column(name))
        rows_list.append(rows)
        codes_list.append(c + width)
        width += len(vocab)
    for name in ("template_id", "shape"):
        vocab, c = codes(problems.column(name))
        rows_list.append(np.arange(n))
        codes_list.append(c + width)
        width += len(vocab)
    return width, np.concatenate(codes_list), np.concatenate(rows_list)


def by_compounds(problems: pa.Table, candidates: np.ndarray, size: int, seed: int) -> np.ndarray:
    """Indices (into problems) of `size` candidates chosen by lazy greedy balanced coverage."""
    sub = problems.take(pa.array(candidates))
    width, unit, rows = _units(sub)
    order = np.lexsort((unit, rows))
    unit, rows = unit[order], rows[order]
    key = pc.binary_join(pa.ListArray.from_arrays(pa.array(np.searchsorted(rows, np.arange(len(candidates) + 1)).astype(np.int32)), pa.array(unit.astype(str))), ",")
    keys, group = codes(key)
    members = np.lexsort((unit_hash(seed, sub.column("problem_id"), "select"), group))
    starts = np.searchsorted(group[members], np.arange(len(keys) + 1))
    row_starts = np.searchsorted(rows, np.arange(len(candidates) + 1))
    group_units = [unit[row_starts[members[starts[k]]] : row_starts[members[starts[k]] + 1]] for k in range(len(keys))]
    taken = np.zeros(len(keys), np.int64)
    counts = np.zeros(width, np.float64)
    gain = lambda k: float((1.0 / (1.0 + counts[group_units[k]])).sum())  # noqa: E731
    heap = [(-gain(k), k) for k in range(len(keys))]
    heapq.heapify(heap)
    picked: list[int] = []
    while heap and len(picked) < size:
        _, k = heapq.heappop(heap)
        g = gain(k)
        if heap and g < -heap[0][0] - 1e-12:
            heapq.heappush(heap, (-g, k))
            continue
        picked.append(int(members[starts[k] + taken[k]]))
        taken[k] += 1
        counts[group_units[k]] += 1
        if starts[k] + taken[k] < starts[k + 1]:
            heapq.heappush(heap, (-gain(k), k))
    return candidates[np.sort(np.array(picked, np.int64))]


def by_minhash(
    problems: pa.Table, candidates: np.ndarray, size: int, seed: int, signatures_of: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Indices of `size` candidates by farthest-point sampling in MinHash (Jaccard) distance."""
    pool_size = min(len(candidates), max(size, _FPS_BUDGET // max(size, 1)))
    u = unit_hash(seed, problems.column("problem_id").take(pa.array(candidates)), "select")
    pool = candidates[np.sort(np.argsort(u, kind="stable")[:pool_size])]
    sig = signatures_of(pool)
    far = np.full(len(pool), np.inf)
    current = int(np.argmin(u[np.searchsorted(candidates, pool)]))
    picked = []
    for _ in range(min(size, len(pool))):
        picked.append(current)
        far = np.minimum(far, 1.0 - (sig == sig[current]).mean(axis=1))
        far[picked] = -1.0
        current = int(np.argmax(far))
    return pool[np.sort(np.array(picked, np.int64))]


def select(
    problems: pa.Table,
    splits: list[str],
    config: DiversityConfig,
    seed: int,
    signatures_of: Callable[[np.ndarray], np.ndarray] | None = None,
) -> list[bool]:
    """Per row, whether it is kept: `select.size` train rows chosen for diversity, every other split kept.

    `signatures_of(rows)` gives MinHash signatures for `by: minhash` (default: from the table, see `keys`)."""
    keep = np.ones(problems.num_rows, bool)
    if config.select is None:
        return keep.tolist()
    train = np.flatnonzero(split_codes(splits) == 0)
    if config.select.size >= len(train):
        return keep.tolist()
    keep[train] = False
    if config.select.by == "compounds":
        keep[by_compounds(problems, train, config.select.size, seed)] = True
    else:
        keys = question_keys(problems, config.threshold, signatures_of)
        keep[by_minhash(problems, train, config.select.size, seed, keys.signatures_of)] = True
    return keep.tolist()


def subset_metrics(problems: pa.Table, rows: np.ndarray) -> dict:
    """Coverage, entropies, distinct-2 and hashed n-gram Vendi of the questions of a subset."""
    sub = problems.take(pa.array(rows))
    out: dict = {"rows": int(len(rows))}
    for name in ("compounds", "atoms"):
        vocab_all, _, _ = flatten_codes(problems.column(name))
        vocab, _, _ = flatten_codes(sub.column(name))
        out[f"{name}_coverage"] = round(len(vocab) / max(1, len(vocab_all)), 6)
    for name, label in (("compounds", "compound_entropy"), ("template_id", "template_entropy"), ("shape", "structural_entropy")):
        values = pc.list_flatten(sub.column(name)) if name == "compounds" else sub.column(name)
        out[label] = round(entropy(np.asarray(pc.value_counts(values).field("counts"))), 6)
    out["distinct_2"] = round(distinct_n(sub.column("question"), (2,))[0], 6)
    out["vendi_ngram"] = round(dual_vendi(hashed_features(sub.column("question"))), 4)
    return out


def compare_selection(problems: pa.Table, splits: list[str], selected: list[bool], seed: int) -> dict:
    """Metrics of the selected train rows next to a seeded random train subset of the same size."""
    train = np.flatnonzero(split_codes(splits) == 0)
    chosen = train[np.asarray(selected, bool)[train]]
    u = unit_hash(seed, problems.column("problem_id").take(pa.array(train)), "random_subset")
    random_rows = np.sort(train[np.argsort(u, kind="stable")[: len(chosen)]])
    return {"selected": subset_metrics(problems, chosen), "random": subset_metrics(problems, random_rows)}
