"""Exact and near-duplicate removal of problems; the first occurrence in table order wins."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.diversity.config import DiversityConfig
from cotsynth.diversity.minhash import near_pairs, signatures
from cotsynth.diversity.text import exact_keys


def exact_representatives(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Per row, the index of the first row with the same normalized text (itself if first)."""
    codes = np.asarray(pc.dictionary_encode(exact_keys(texts)).indices, dtype=np.int64)
    _, first, inverse = np.unique(codes, return_index=True, return_inverse=True)
    return first[inverse]


def first_wins(n: int, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Resolve near-duplicate links (i < j) in order: j is dropped for its earliest kept neighbour.

    The same outcome as querying an LSH index of the kept rows before inserting each row, so a chain
    a~b~c with a!~c keeps c: b was dropped and cannot stand for a.
    """
    rep = np.full(n, -1, np.int64)
    order = np.lexsort((i, j))
    for a, b in zip(i[order].tolist(), j[order].tolist()):
        if rep[b] < 0 and rep[a] < 0:
            rep[b] = a
    return rep


def near_representatives(texts: pa.Array | pa.ChunkedArray, threshold: float) -> np.ndarray:
    """Per row, the earliest kept near duplicate (estimated 3-gram Jaccard >= threshold) or -1."""
    i, j, _ = near_pairs(signatures(texts), threshold)
    return first_wins(len(texts), i, j)


def dedup(problems: pa.Table, config: DiversityConfig) -> list[str | None]:
    """Per row, None to keep it or the reason it is dropped.

    Reasons: `exact_duplicate_of:<problem_id>` (same normalized question) and
    `near_duplicate_of:<problem_id>` (MinHash LSH, 128 permutations, word 3-grams, numbers kept).
    """
    n = problems.num_rows
    if config.dedup == "none" or n == 0:
        return [None] * n
    ids = problems.column("problem_id").to_pylist()
    questions = problems.column("question")
    exact = exact_representatives(questions)
    reasons: list[str | None] = [
        None if r == k else f"exact_duplicate_of:{ids[r]}" for k, r in enumerate(exact.tolist())
    ]
    if config.dedup == "minhash":
        unique = np.flatnonzero(exact == np.arange(n))
        near = near_representatives(questions.take(pa.array(unique)), config.threshold)
        for local in np.flatnonzero(near >= 0).tolist():
            reasons[int(unique[local])] = f"near_duplicate_of:{ids[int(unique[near[local]])]}"
    return reasons
