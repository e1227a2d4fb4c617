"""Seeded, process-independent uniform draws per id: the basis of every split and sample."""

from __future__ import annotations

import hashlib

import numpy as np


def unit_hash(seed: int, ids: list[str], salt: str = "") -> np.ndarray:
    """A float in [0, 1) per id from blake2b(seed, salt, id): stable across processes and row order."""
    prefix = f"{seed}\x1f{salt}\x1f".encode()
    out = np.empty(len(ids), np.float64)
    for k, pid in enumerate(ids):
        digest = hashlib.blake2b(prefix + pid.encode(), digest_size=8).digest()
        out[k] = (int.from_bytes(digest, "little") >> 11) / float(1 << 53)
    return out
