"""HyperLogLog over uint64 hashes: distinct-n of CoT text in bounded memory, streamed per batch.

Exact distinct n-gram counts over 10^6 chain-of-thought traces would hold ~10^8 hashes; 2^14
registers (16 KB) estimate within ~1% and merge across batches and workers.
"""

from __future__ import annotations

import numpy as np

_P = 14
_M = 1 << _P


class HyperLogLog:
    def __init__(self) -> None:
        self.registers = np.zeros(_M, np.uint8)
        self.total = 0

    def add(self, hashes: np.ndarray) -> None:
        """Count hashes (well mixed uint64) as occurrences and their distinct values."""
        h = np.asarray(hashes, np.uint64)
        self.total += len(h)
        if len(h) == 0:
            return
        idx = (h >> np.uint64(64 - _P)).astype(np.int64)
        rest = (h << np.uint64(_P)) | np.uint64(1 << (_P - 1))  # guard bit bounds the rank
        # rank = leading zeros + 1; after >> 11 the value fits a float64 exactly and keeps the guard bit
        _, exponent = np.frexp((rest >> np.uint64(11)).astype(np.float64))
        rank = (65 - (exponent + 11)).astype(np.uint8)
        np.maximum.at(self.registers, idx, rank)

    def estimate(self) -> float:
        """The HLL estimate with linear counting for small cardinalities."""
        m = float(_M)
        raw = 0.7213 / (1 + 1.079 / m) * m * m / np.sum(2.0 ** -self.registers.astype(np.float64))
        zeros = int((self.registers == 0).sum())
        if raw <= 2.5 * m and zeros:
            return m * np.log(m / zeros)
        return float(raw)

    def ratio(self) -> float:
        """distinct / total occurrences (the distinct-n score)."""
        return 0.0 if self.total == 0 else min(1.0, self.estimate() / self.total)
