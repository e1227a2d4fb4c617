"""Text normalization and n-gram hashing, vectorized over Arrow string arrays.

Normalization keeps numbers and operator symbols: templated math questions differ only in their
numbers (and `3 + 5` vs `3 - 5`), so a normalizer that drops or masks them collapses a whole family
into one cluster. Hashes are content-based (blake2b of each distinct token), never Python's `hash()`,
so results do not depend on the process or on row order.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

_SPLIT_SYMBOLS = r"(\d+(?:\.\d+)?|[^\w\s])"
_M1 = np.uint64(0x9E3779B97F4A7C15)


def _as_array(texts: pa.Array | pa.ChunkedArray | list[str]) -> pa.Array:
    if isinstance(texts, list):
        return pa.array(texts, pa.string())
    if isinstance(texts, pa.ChunkedArray):
        return texts.combine_chunks() if texts.num_chunks != 1 else texts.chunk(0)
    return texts


def tokenize(texts: pa.Array | pa.ChunkedArray | list[str]) -> pa.ListArray:
    """NFKC, lowercase, then numbers, words and single symbols as tokens (whitespace-insensitive)."""
    arr = pc.fill_null(_as_array(texts).cast(pa.string()), "")
    arr = pc.utf8_lower(pc.utf8_normalize(arr, form="NFKC"))
    arr = pc.replace_substring_regex(arr, _SPLIT_SYMBOLS, r" \1 ")
    return pc.utf8_split_whitespace(pc.utf8_trim_whitespace(arr))


def exact_keys(texts: pa.Array | pa.ChunkedArray | list[str]) -> pa.Array:
    """The normalized text: equal keys are exact duplicates up to case, spacing and Unicode form."""
    return pc.binary_join(tokenize(texts), " ")


def splitmix64(x: np.ndarray) -> np.ndarray:
    """A 64-bit avalanche finalizer: turns combined token hashes into well-mixed n-gram hashes."""
    z = x.astype(np.uint64, copy=True)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def hash_strings(values: pa.Array | list[str]) -> np.ndarray:
    """blake2b-64 of each string (little-endian): stable across processes and platforms."""
    items = values.to_pylist() if isinstance(values, (pa.Array, pa.ChunkedArray)) else values
    blake2b = hashlib.blake2b
    joined = b"".join([blake2b((s or "").encode(), digest_size=8).digest() for s in items])
    return np.frombuffer(joined, "<u8").astype(np.uint64)  # a writable copy in native order


def token_hashes(tokens: pa.ListArray) -> tuple[np.ndarray, np.ndarray]:
    """(offsets, hashes): per-document token offsets and a uint64 hash per token.

    Only distinct tokens are hashed in Python; the rest is a vectorized take.
    """
    offsets = np.asarray(tokens.offsets, dtype=np.int64)
    flat = tokens.flatten()
    if len(flat) == 0:
        return offsets - offsets[0], np.empty(0, np.uint64)
    encoded = pc.dictionary_encode(flat)
    codes = np.asarray(encoded.indices, dtype=np.int64)
    return offsets - offsets[0], hash_strings(encoded.dictionary)[codes]


def ngram_hashes(offsets: np.ndarray, hashes: np.ndarray, n: int, *, pad_short: bool) -> tuple[np.ndarray, np.ndarray]:
    """(doc_index, ngram_hash) for every word n-gram, in document order.

    With `pad_short`, a document shorter than n yields one gram of all its tokens and an empty
    document one constant gram, so that every document has at least one shingle (MinHash needs it).
    """
    return ngram_hashes_upto(offsets, hashes, (n,), pad_short=pad_short)[0]


def ngram_hashes_upto(offsets: np.ndarray, hashes: np.ndarray, ns: tuple[int, ...], *, pad_short: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """`ngram_hashes` for each n of `ns` in one pass: a gram starting at token i is the fold of the
    mixed tokens i, i+1, ... (a token past its document's end mixes as 0), so the fold for n is the
    fold for n - 1 taken one token further, computed once for all n."""
    lengths = np.diff(offsets)
    docs, total = len(lengths), len(hashes)
    doc_of = np.repeat(np.arange(docs, dtype=np.int64), lengths)
    pos = np.arange(total, dtype=np.int64) - offsets[:-1][doc_of]
    left = lengths[doc_of] - pos  # tokens from i to its document's end, i included
    padded = np.concatenate([hashes, np.zeros(max(ns), np.uint64)])
    folds, combined = {}, None
    for k in range(max(ns)):
        part = padded[k : k + total] if k == 0 else np.where(left > k, padded[k : k + total], np.uint64(0))
        mixed = splitmix64(part + np.uint64(k + 1))
        combined = mixed if combined is None else combined * _M1 + mixed
        folds[k + 1] = combined
    empty = np.flatnonzero(lengths == 0) if pad_short else np.empty(0, np.int64)
    out = []
    for n in ns:
        keep = left >= n
        if pad_short:
            keep |= (pos == 0) & (left < n)
        out_docs, out_hashes = doc_of[keep], splitmix64(folds[n][keep] + np.uint64(n))
        if len(empty):
            out_docs = np.concatenate([out_docs, empty])
            out_hashes = np.concatenate([out_hashes, np.full(len(empty), np.uint64(n), np.uint64)])
            order = np.argsort(out_docs, kind="stable")
            out_docs, out_hashes = out_docs[order], out_hashes[order]
        out.append((out_docs, out_hashes))
    return out


def distinct_n(texts: pa.Array | pa.ChunkedArray | list[str], ns: tuple[int, ...]) -> list[float]:
    """Distinct-n (Li et al. 2016) for each n: distinct word n-grams / all word n-grams of the texts,
    counted exactly (64-bit n-gram hashes); 0.0 where the texts have no n-gram. Empty and blank
    texts have no tokens (`tokenize` gives them one empty token)."""
    texts = pc.fill_null(_as_array(texts).cast(pa.string()), "")
    texts = texts.filter(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0))
    offsets, hashes = token_hashes(tokenize(texts))
    return [len(np.unique(grams)) / len(grams) if len(grams) else 0.0
            for _, grams in ngram_hashes_upto(offsets, hashes, ns, pad_short=False)]
