"""The vectorized hashes against plain-Python references: the n-gram hashes feed MinHash (dedup
decisions), distinct-n and Vendi, and the per-id draws feed splits and samples, so a
faster implementation must give the same numbers bit for bit."""

import hashlib

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.core.seeding import unit_hash
from cotsynth.diversity.text import _M1, hash_strings, ngram_hashes, ngram_hashes_upto, splitmix64

MASK = (1 << 64) - 1


def mix(x: int) -> int:
    return int(splitmix64(np.array([x & MASK], np.uint64))[0])


def reference_ngrams(docs: list[list[int]], n: int, pad_short: bool) -> tuple[list[int], list[int]]:
    """One gram per start position with n tokens left (or, padded, one per short document), as the
    fold of the mixed tokens, a token past the end mixing as 0; an empty padded document: constant n."""
    out_docs, out_hashes = [], []
    for d, tokens in enumerate(docs):
        if pad_short and not tokens:
            out_docs.append(d)
            out_hashes.append(n)
            continue
        starts = range(len(tokens) - n + 1) if len(tokens) >= n else ([0] if pad_short else [])
        for i in starts:
            combined = 0
            for k in range(n):
                token = tokens[i + k] if i + k < len(tokens) else 0
                combined = (combined * int(_M1) + mix(token + k + 1)) & MASK
            out_docs.append(d)
            out_hashes.append(mix(combined + n))
    return out_docs, out_hashes


documents = st.lists(st.lists(st.integers(0, MASK), max_size=7), max_size=12)


@settings(max_examples=200, deadline=None)
@given(documents, st.integers(1, 4), st.booleans())
def test_ngram_hashes_match_the_reference(docs, n, pad_short):
    offsets = np.cumsum([0] + [len(d) for d in docs]).astype(np.int64)
    hashes = np.array([t for d in docs for t in d], np.uint64)
    doc, gram = ngram_hashes(offsets, hashes, n, pad_short=pad_short)
    assert (doc.tolist(), gram.tolist()) == reference_ngrams(docs, n, pad_short)
    for m, (d, g) in zip((1, 2, n), ngram_hashes_upto(offsets, hashes, (1, 2, n), pad_short=pad_short)):
        assert (d.tolist(), g.tolist()) == reference_ngrams(docs, m, pad_short)


@settings(deadline=None)
@given(st.lists(st.text(max_size=20), max_size=30), st.integers(0, 10**6), st.text(max_size=5))
def test_string_hashes_and_draws_are_blake2b(texts, seed, salt):
    def b2(data: bytes) -> int:
        return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")

    assert hash_strings(pa.array(texts, pa.string())).tolist() == [b2(t.encode()) for t in texts]
    draws = unit_hash(seed, texts, salt)
    assert draws.tolist() == [(b2(f"{seed}\x1f{salt}\x1f{t}".encode()) >> 11) / 2**53 for t in texts]
