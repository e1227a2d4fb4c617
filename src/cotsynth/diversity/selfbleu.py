"""Self-BLEU: mean BLEU-4 of each text against all the others as references (higher = more alike).

The clipped count of an n-gram against "all other texts" only needs its largest and second-largest
count across texts, so one pass over n-gram counts replaces the quadratic loop; the report still
runs it on a fixed-size sample, as the score is defined on a set.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

MAX_ORDER = 4


def self_bleu(token_lists: list[list[str]]) -> float:
    """Smoothed (epsilon 0.1) BLEU-4 with the closest-length brevity penalty, averaged over texts."""
    if len(token_lists) < 2:
        return 0.0
    counts = [
        [Counter(tuple(t[k : k + n]) for k in range(len(t) - n + 1)) for n in range(1, MAX_ORDER + 1)]
        for t in token_lists
    ]
    best: list[dict] = []  # per order: gram -> (max count, its text, second count)
    for n in range(MAX_ORDER):
        top: dict = {}
        for doc, per_order in enumerate(counts):
            for gram, c in per_order[n].items():
                m1, d1, m2 = top.get(gram, (0, -1, 0))
                top[gram] = (c, doc, m1) if c > m1 else (m1, d1, max(m2, c))
        best.append(top)
    lengths = np.array([len(t) for t in token_lists])
    order = np.argsort(lengths, kind="stable")
    sorted_lengths = lengths[order]
    scores = []
    for doc, per_order in enumerate(counts):
        length = len(token_lists[doc])
        if length == 0:
            continue
        log_p = 0.0
        for n in range(MAX_ORDER):
            total = sum(per_order[n].values())
            clipped = 0
            for gram, c in per_order[n].items():
                m1, d1, m2 = best[n][gram]
                clipped += min(c, m2 if d1 == doc else m1)
            log_p += math.log((clipped if clipped else 0.1) / total) if total else math.log(0.1)
        ref = _closest_other_length(sorted_lengths, order, doc, length)
        bp = 1.0 if length > ref else math.exp(1 - ref / length)
        scores.append(bp * math.exp(log_p / MAX_ORDER))
    return float(np.mean(scores)) if scores else 0.0


def _closest_other_length(sorted_lengths: np.ndarray, order: np.ndarray, doc: int, length: int) -> int:
    pos = int(np.searchsorted(sorted_lengths, length))
    candidates = [p for p in range(max(0, pos - 2), min(len(order), pos + 2)) if order[p] != doc]
    return int(min((abs(int(sorted_lengths[p]) - length), int(sorted_lengths[p])) for p in candidates)[1])
