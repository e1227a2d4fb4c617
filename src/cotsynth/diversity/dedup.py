"""Exact and near-duplicate removal of problems; the first occurrence in table order wins."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from cotsynth.diversity.config import DiversityConfig
from cotsynth.diversity.keys import QuestionKeys, question_keys
from cotsynth.diversity.minhash import near_pairs


def exact_representatives(exact: np.ndarray) -> np.ndarray:
    """Per row, the index of the first row with the same exact key (itself if first)."""
    _, first, inverse = np.unique(exact, return_index=True, return_inverse=True)
    return first[inverse.reshape(-1)]


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


def near_representatives(keys: QuestionKeys, threshold: float) -> np.ndarray:
    """Per row, the earliest kept near duplicate (estimated 3-gram Jaccard >= threshold) or -1."""
    i, j, _ = near_pairs(keys.bands, keys.signatures_of, threshold)
    return first_wins(len(keys.exact), i, j)


def dedup(
    problems: pa.Table, config: DiversityConfig, signatures_of: Callable[[np.ndarray], np.ndarray] | None = None
) -> list[str | None]:
    """Per row, None to keep it or the reason it is dropped.

    Reasons: `exact_duplicate_of:<problem_id>` (same normalized question),
    `near_duplicate_of:<problem_id>` (MinHash LSH, 128 permutations, word 3-grams, numbers kept) and,
    for `dedup: problem`, `same_problem_as:<problem_id>` (same `problem_key`).
    Works on the key columns when the table has them (see `keys`), else on its questions.
    """
    n = problems.num_rows
    if config.dedup == "none" or n == 0:
        return [None] * n
    if config.dedup == "problem":
        return same_problem(problems)
    keys = question_keys(problems, config.threshold, signatures_of)
    exact = exact_representatives(keys.exact)
    owner = np.where(exact != np.arange(n), exact, -1)
    kind = np.where(owner >= 0, "exact_duplicate_of", "")
    if config.dedup == "minhash":
        unique = np.flatnonzero(owner < 0)
        near = near_representatives(keys.take(unique), config.threshold)
        found = near >= 0
        owner[unique[found]] = unique[near[found]]
        kind[unique[found]] = "near_duplicate_of"
    reasons: list[str | None] = [None] * n
    dropped = np.flatnonzero(owner >= 0)
    owners = problems.column("problem_id").take(pa.array(owner[dropped])).to_pylist()
    for row, why, of in zip(dropped.tolist(), kind[dropped].tolist(), owners):
        reasons[row] = f"{why}:{of}"
    return reasons


def problem_representatives(problems: pa.Table) -> np.ndarray:
    """Per row, the index of the first row with the same problem key (itself if first)."""
    return exact_representatives(problems.column("problem_key").to_numpy())


def same_problem(problems: pa.Table) -> list[str | None]:
    """`dedup: problem`: every later row of a problem key goes, as `same_problem_as:<first problem id>`."""
    first = problem_representatives(problems)
    owners = problems.column("problem_id").take(pa.array(first)).to_pylist()
    return [None if f == k else f"same_problem_as:{of}" for k, (f, of) in enumerate(zip(first.tolist(), owners))]
