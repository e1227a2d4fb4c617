"""MinHash signatures and LSH candidate pairs, vectorized with numpy.

Signatures are bit-identical to datasketch 2's default `MinHash` (scheme affine32: murmur3 fmix32
of the 32-bit shingle hash, then a*h+b mod 2^32 with the same seeded permutations), and the banding (b, r) is datasketch's optimum for the threshold; only
the bucketing is done here as sort-and-scan over arrays, which is what keeps 10^6 questions in
seconds instead of datasketch's per-object inserts and queries (17k inserts/s, see FIELD_NOTES).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pyarrow as pa

from cotsynth.diversity.text import ngram_hashes, splitmix64, token_hashes, tokenize

NUM_PERM = 128
SHINGLE = 3
_MAX32 = np.uint64(0xFFFFFFFF)
_WINDOW = 32  # earlier bucket-mates compared per document and band: buckets are only big for true duplicates
_DOCS = 50_000  # documents tokenized at a time: bounds the per-token temporaries
_CHUNK = 1 << 15  # shingles per block: 16 MB of uint32 temporaries at 128 permutations


@lru_cache(maxsize=1)
def permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 (a, b) for num_perm=128, seed=1."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=NUM_PERM, seed=1, scheme="affine32").permutations
    return a.astype(np.uint32), b.astype(np.uint32)


@lru_cache(maxsize=8)
def bands(threshold: float) -> tuple[int, int]:
    """datasketch's optimal (bands, rows) for the threshold with equal false positive/negative weights."""
    from datasketch.lsh import _optimal_param

    return _optimal_param(threshold, NUM_PERM, 0.5, 0.5)


def shingles(texts: pa.Array | pa.ChunkedArray | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(doc_index, uint32 hash) of the word 3-gram shingles of the normalized texts."""
    offsets, hashes = token_hashes(tokenize(texts))
    docs, grams = ngram_hashes(offsets, hashes, SHINGLE, pad_short=True)
    return docs, (grams & _MAX32).astype(np.uint32)


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch applies it before the permutations."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signatures(texts: pa.Array | pa.ChunkedArray | list[str]) -> np.ndarray:
    """(n, 128) uint32 MinHash signatures of the texts, computed per block of documents to bound memory."""
    texts = pa.array(texts, pa.string()) if isinstance(texts, list) else texts
    out = np.empty((len(texts), NUM_PERM), np.uint32)
    for start in range(0, len(texts), _DOCS):
        part = texts.slice(start, _DOCS)
        out[start : start + len(part)] = _block_signatures(part)
    return out


def _block_signatures(texts: pa.Array | pa.ChunkedArray) -> np.ndarray:
    docs, grams = shingles(texts)
    grams = _fmix32(grams)
    n = len(texts)
    a, b = permutations()
    out = np.empty((n, NUM_PERM), np.uint32)
    starts = np.searchsorted(docs, np.arange(n + 1))
    first = 0
    while first < n:
        last = min(n, int(np.searchsorted(starts, starts[first] + _CHUNK, side="right")) - 1)
        last = max(last, first + 1)
        s0, s1 = starts[first], starts[last]
        x = grams[s0:s1, None] * a[None, :]
        x += b[None, :]
        out[first:last] = np.minimum.reduceat(x, starts[first:last] - s0, axis=0)
        first = last
    return out


def similarity(sig: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Estimated Jaccard of pairs (i[k], j[k]): the fraction of equal signature values."""
    out = np.empty(len(i), np.float64)
    for s in range(0, len(i), 1 << 16):
        out[s : s + (1 << 16)] = (sig[i[s : s + (1 << 16)]] == sig[j[s : s + (1 << 16)]]).mean(axis=1)
    return out


def band_keys(sig: np.ndarray, threshold: float) -> np.ndarray:
    """(n, bands) uint32: one hash per LSH band of each signature, all the bucketing needs.

    32 bits per band keep 10^6 problems' keys in a few MB; the rare false bucket-mates they add are
    candidates like any other and fail the signature comparison.
    """
    b, r = bands(threshold)
    out = np.empty((len(sig), b), np.uint32)
    for band in range(b):
        key = np.full(len(sig), np.uint64(band + 1), np.uint64)
        for c in range(band * r, (band + 1) * r):
            key = splitmix64(key * np.uint64(0x100000001B3) + sig[:, c].astype(np.uint64))
        out[:, band] = (key >> np.uint64(32)).astype(np.uint32)
    return out


def candidate_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(i, j) with i < j sharing at least one band key, each j paired with up to 32 earlier bucket-mates."""
    n = len(keys)
    pairs_i, pairs_j = [], []
    for band in range(keys.shape[1] if n else 0):
        order = np.argsort(keys[:, band], kind="stable")  # equal keys stay in row order
        sk = keys[order, band]
        for d in range(1, _WINDOW + 1):
            same = sk[d:] == sk[:-d]
            if not same.any():
                break
            pairs_i.append(order[:-d][same])
            pairs_j.append(order[d:][same])
    if not pairs_i:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    i, j = np.concatenate(pairs_i).astype(np.int64), np.concatenate(pairs_j).astype(np.int64)
    packed = np.unique(i * n + j)
    return packed // n, packed % n


def near_pairs(
    keys: np.ndarray, signatures_of: Callable[[np.ndarray], np.ndarray], threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, similarity) of LSH candidates whose estimated Jaccard is at least the threshold.

    `signatures_of(rows)` gives the signatures of sorted row indices: only candidate rows are fetched.
    """
    i, j = candidate_pairs(keys)
    rows = np.unique(np.concatenate([i, j]))
    sig = signatures_of(rows) if len(rows) else np.empty((0, NUM_PERM), np.uint32)
    sim = similarity(sig, np.searchsorted(rows, i), np.searchsorted(rows, j))
    keep = sim >= threshold
    return i[keep], j[keep], sim[keep]
