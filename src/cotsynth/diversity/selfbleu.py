"""Self-BLEU: mean BLEU-4 of each text against all the others as references (higher = more alike).

The clipped count of an n-gram against "all other texts" only needs its largest and second-largest
count across texts, so one pass over n-gram counts replaces the quadratic loop (vectorized over
n-gram hashes); the report still runs it on a fixed-size sample, as the score is defined on a set.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa

from cotsynth.diversity.text import ngram_hashes_upto, token_hashes

MAX_ORDER = 4


def self_bleu(tokens: pa.ListArray | list[list[str]]) -> float:
    """Smoothed (epsilon 0.1) BLEU-4 with the closest-length brevity penalty, averaged over texts."""
    if len(tokens) < 2:
        return 0.0
    if not isinstance(tokens, pa.ListArray):
        tokens = pa.array(tokens, pa.list_(pa.string()))
    offsets, hashes = token_hashes(tokens)
    lengths = np.diff(offsets)
    clipped, totals = _clipped_counts(offsets, hashes, len(lengths))
    scores = []
    for doc, (length, ref) in enumerate(zip(lengths.tolist(), _closest_other_lengths(lengths).tolist())):
        if length == 0:
            continue
        log_p = 0.0
        for clip, total in zip(clipped[doc], totals[doc]):
            log_p += math.log((clip if clip else 0.1) / total) if total else math.log(0.1)
        bp = 1.0 if length > ref else math.exp(1 - ref / length)
        scores.append(bp * math.exp(log_p / MAX_ORDER))
    return float(np.mean(scores)) if scores else 0.0


def _clipped_counts(offsets: np.ndarray, hashes: np.ndarray, docs: int) -> tuple[list[list[int]], list[list[int]]]:
    """Per document and order: its n-grams' counts clipped by the largest count of the same n-gram in
    any other document, summed; and its n-gram total. An n-gram is its 64-bit hash (`ngram_hashes`)."""
    clipped = np.zeros((MAX_ORDER, docs), np.int64)
    totals = np.zeros((MAX_ORDER, docs), np.int64)
    orders = tuple(range(1, MAX_ORDER + 1))
    for n, (doc, gram) in zip(orders, ngram_hashes_upto(offsets, hashes, orders, pad_short=False)):
        if not len(doc):
            continue
        totals[n - 1] = np.bincount(doc, minlength=docs)
        order = np.lexsort((doc, gram))
        doc, gram = doc[order], gram[order]
        starts = np.flatnonzero(np.r_[True, (gram[1:] != gram[:-1]) | (doc[1:] != doc[:-1])])
        counts = np.diff(np.r_[starts, len(gram)])
        doc, gram = doc[starts], gram[starts]
        order = np.lexsort((doc, -counts, gram))  # per n-gram: the largest count first, the first document on ties
        doc, gram, counts = doc[order], gram[order], counts[order]
        first = np.r_[True, gram[1:] != gram[:-1]]
        heads = np.flatnonzero(first)
        group = np.cumsum(first) - 1
        has_second = np.r_[heads[1:], len(gram)] - heads > 1
        second = np.where(has_second, counts[np.minimum(heads + 1, len(gram) - 1)], 0)
        best = np.where(doc == doc[heads][group], second[group], counts[heads][group])
        clipped[n - 1] = np.bincount(doc, weights=np.minimum(counts, best), minlength=docs).astype(np.int64)
    return clipped.T.tolist(), totals.T.tolist()


def _closest_other_lengths(lengths: np.ndarray) -> np.ndarray:
    """Per text, the length of the closest-length other text (the shorter on a tie): its own length
    when another text shares it, else the nearest distinct length below or above."""
    distinct, counts = np.unique(lengths, return_counts=True)
    at = np.searchsorted(distinct, lengths)
    below = distinct[np.maximum(at - 1, 0)]
    above = distinct[np.minimum(at + 1, len(distinct) - 1)]
    take_below = (at > 0) & ((at == len(distinct) - 1) | (lengths - below <= above - lengths))
    return np.where(counts[at] > 1, lengths, np.where(take_below, below, above))
