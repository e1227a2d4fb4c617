"""Compact per-problem question keys: what the global steps hold instead of the question text.

Workers compute them where the question is (`pipeline.steps.outputs`): a 64-bit hash of the normalized
question (exact duplicates), one 32-bit key per LSH band (near-duplicate candidates) and the 128-value
MinHash signature. The driver keeps the first two (~28 bytes a problem at threshold 0.9); signatures
stay in the unit's part file and are read back only for candidate rows. A table without key columns
(the Python API on in-memory problems) gets them computed from its `question` column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from cotsynth.diversity.minhash import NUM_PERM, band_keys, bands, signatures
from cotsynth.diversity.text import exact_keys, hash_strings


def exact_hashes(questions: pa.Array | pa.ChunkedArray | list[str]) -> np.ndarray:
    """uint64 blake2b of each normalized question: equal hashes are exact duplicates."""
    return hash_strings(exact_keys(questions))


def key_columns(questions: pa.Array | pa.ChunkedArray, threshold: float) -> pa.Table:
    """The key columns of a unit's problems table, as the worker writes them. The band keys' field
    records the threshold they were made for, so a reader checks it without recomputing the bands."""
    sig = signatures(questions)
    keys = band_keys(sig, threshold)
    band_field = pa.field("lsh_bands", pa.list_(pa.uint32(), keys.shape[1]), metadata={"threshold": repr(threshold)})
    return pa.Table.from_arrays(
        [
            pa.array(exact_hashes(questions), pa.uint64()),
            pa.FixedSizeListArray.from_arrays(pa.array(keys.reshape(-1)), keys.shape[1]),
            pa.FixedSizeListArray.from_arrays(pa.array(sig.reshape(-1)), NUM_PERM),
        ],
        schema=pa.schema([pa.field("exact_key", pa.uint64()), band_field, pa.field("minhash", pa.list_(pa.uint32(), NUM_PERM))]),
    )


def fixed_list_matrix(column: pa.Array | pa.ChunkedArray, width: int, dtype: type) -> np.ndarray:
    """A fixed-size-list column as an (n, width) numpy matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], column.type)
    return np.asarray(column.flatten(), dtype).reshape(len(column), width)


@dataclass
class QuestionKeys:
    exact: np.ndarray  # (n,) uint64
    bands: np.ndarray  # (n, b) uint32 at the threshold they were made for
    signatures_of: Callable[[np.ndarray], np.ndarray]  # sorted rows -> (len(rows), 128) uint32

    def take(self, rows: np.ndarray) -> QuestionKeys:
        rows = np.asarray(rows, np.int64)
        return QuestionKeys(self.exact[rows], self.bands[rows], lambda r: self.signatures_of(rows[r]))


def question_keys(
    problems: pa.Table, threshold: float, signatures_of: Callable[[np.ndarray], np.ndarray] | None = None
) -> QuestionKeys:
    """The keys of a problems table: from its key columns when present, else from its questions."""
    names = problems.column_names
    if "exact_key" not in names:
        questions = problems.column("question")
        sig = signatures(questions)
        return QuestionKeys(exact_hashes(questions), band_keys(sig, threshold), lambda rows: sig[rows])
    band_field = problems.schema.field("lsh_bands")
    width = band_field.type.list_size
    made_for = (band_field.metadata or {}).get(b"threshold")
    if made_for is not None and float(made_for) != threshold:
        raise ValueError(f"lsh_bands were made for threshold {float(made_for)}, not {threshold}")
    if made_for is None and bands(threshold)[0] != width:
        raise ValueError(f"lsh_bands were made for another threshold than {threshold} ({width} bands)")
    if signatures_of is None:
        if "minhash" in names:
            column = problems.column("minhash")
            signatures_of = lambda rows: fixed_list_matrix(column.take(pa.array(rows)), NUM_PERM, np.uint32)  # noqa: E731
        else:
            questions = problems.column("question")
            signatures_of = lambda rows: signatures(questions.take(pa.array(rows)))  # noqa: E731
    exact = np.asarray(problems.column("exact_key"), np.uint64)
    return QuestionKeys(exact, fixed_list_matrix(problems.column("lsh_bands"), width, np.uint32), signatures_of)
