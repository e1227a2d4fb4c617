"""Counting metrics over compact problem columns: entropies, frequency tables, coverage, divergence.

Divergences follow "Measuring Compositional Generalization" (Keysers et al., 2020):
D_alpha(P||Q) = 1 - sum_k p_k^alpha q_k^(1-alpha) over normalized frequency distributions, with
alpha = 0.5 for atoms (both directions matter equally) and 0.1 for compounds (a compound frequent in
test but rare in train counts; one absent from test does not). P is train, Q the other split.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.core.vocabulary import SPLITS

ATOM_ALPHA = 0.5
COMPOUND_ALPHA = 0.1


def entropy(counts: np.ndarray) -> float:
    """Shannon entropy in bits."""
    c = np.asarray(counts, np.float64)
    c = c[c > 0]
    if c.sum() == 0:
        return 0.0
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum())


def chernoff_divergence(p_counts: np.ndarray, q_counts: np.ndarray, alpha: float) -> float:
    """1 - Chernoff coefficient of the normalized distributions (0: same, 1: disjoint)."""
    p = np.asarray(p_counts, np.float64)
    q = np.asarray(q_counts, np.float64)
    if p.sum() == 0 or q.sum() == 0:
        return 0.0 if p.sum() == q.sum() else 1.0
    p, q = p / p.sum(), q / q.sum()
    return float(max(0.0, 1.0 - (p**alpha * q ** (1 - alpha)).sum()))


def codes(values: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray]:
    """(vocabulary, int64 code per value) with the vocabulary sorted, so codes do not depend on row order."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks() if values.num_chunks else pa.array([], values.type)
    if pa.types.is_dictionary(values.type):  # the driver's compact columns: rank the dictionary instead
        indices = np.asarray(values.indices, dtype=np.int64)
        present = np.unique(indices)
        names = values.dictionary.take(pa.array(present)).to_pylist()
        order = sorted(range(len(names)), key=names.__getitem__)
        rank = np.zeros(len(values.dictionary), np.int64)
        rank[present[order]] = np.arange(len(order))
        return [names[k] for k in order], rank[indices]
    vocab = sorted(pc.unique(values).to_pylist())
    return vocab, np.asarray(pc.index_in(values, value_set=pa.array(vocab, values.type)), dtype=np.int64)


def flatten_codes(lists: pa.Array | pa.ChunkedArray) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(vocabulary, code per element, row index per element) of a list<string> column."""
    if isinstance(lists, pa.ChunkedArray):
        lists = lists.combine_chunks()
    rows = np.asarray(pc.list_parent_indices(lists), dtype=np.int64)
    vocab, c = codes(pc.list_flatten(lists))
    return vocab, c, rows


def split_codes(splits: list[str] | np.ndarray) -> np.ndarray:
    """0 train, 1 validation, 2 test, -1 anything else (dropped rows)."""
    arr = np.asarray(splits, dtype=object)
    out = np.full(len(arr), -1, np.int64)
    for k, name in enumerate(SPLITS):
        out[arr == name] = k
    return out


def per_split_counts(lists: pa.Array | pa.ChunkedArray, splits: np.ndarray) -> tuple[list[str], np.ndarray]:
    """(vocabulary, counts[3, V]): occurrences of each atom/compound per split (rows with split -1 skipped)."""
    vocab, c, rows = flatten_codes(lists)
    s = splits[rows]
    ok = s >= 0
    counts = np.bincount(s[ok] * max(1, len(vocab)) + c[ok], minlength=3 * max(1, len(vocab)))
    return vocab, counts.reshape(3, max(1, len(vocab)))[:, : len(vocab)]


def divergences(problems: pa.Table, splits: list[str] | np.ndarray) -> dict[str, dict[str, float]]:
    """Atom and compound divergence of every non-empty split against train."""
    s = split_codes(splits)
    _, atoms = per_split_counts(problems.column("atoms"), s)
    _, comps = per_split_counts(problems.column("compounds"), s)
    out = {}
    for k, name in enumerate(SPLITS[1:], start=1):
        if (s == k).any():
            out[name] = {
                "atom_divergence": round(chernoff_divergence(atoms[0], atoms[k], ATOM_ALPHA), 6),
                "compound_divergence": round(chernoff_divergence(comps[0], comps[k], COMPOUND_ALPHA), 6),
            }
    return out


def coverage(problems: pa.Table, splits: list[str] | np.ndarray, column: str) -> dict:
    """Per split: distinct items, share of all items present, and (for non-train) share unseen in train."""
    s = split_codes(splits)
    vocab, counts = per_split_counts(problems.column(column), s)
    total = counts.sum(axis=0)
    present = total > 0
    out: dict = {"distinct": int(present.sum()), "splits": {}}
    for k, name in enumerate(SPLITS):
        if not (s == k).any():
            continue
        here = counts[k] > 0
        entry = {"distinct": int(here.sum()), "coverage": round(float(here.sum() / max(1, present.sum())), 6)}
        if k > 0:
            unseen = here & (counts[0] == 0)
            entry["unseen_in_train"] = int(unseen.sum())
            entry["unseen_in_train_examples"] = [vocab[v] for v in np.flatnonzero(unseen)[:10].tolist()]
        out["splits"][name] = entry
    return out


def frequency_table(vocab: list[str], counts: np.ndarray, top: int = 50) -> list[list]:
    """[[name, count], ...] most frequent first, ties by name: stable for reports and diffs."""
    order = sorted(range(len(vocab)), key=lambda v: (-int(counts[v]), vocab[v]))[:top]
    return [[vocab[v], int(counts[v])] for v in order]


def histogram(values: np.ndarray) -> dict:
    """Summary and an integer histogram (bins merged to at most 40) of a non-negative integer column."""
    v = np.asarray(values, np.int64)
    if len(v) == 0:
        return {"count": 0}
    counts = np.bincount(v - v.min())
    width = max(1, -(-len(counts) // 40))
    merged = np.add.reduceat(counts, np.arange(0, len(counts), width))
    return {
        "count": int(len(v)),
        "mean": round(float(v.mean()), 4),
        "p50": int(np.percentile(v, 50)),
        "p90": int(np.percentile(v, 90)),
        "max": int(v.max()),
        "bin_start": int(v.min()),
        "bin_width": int(width),
        "counts": merged.astype(int).tolist(),
    }
