"""Seeded, process-independent uniform draws per id: the basis of every split and sample."""

from __future__ import annotations

import hashlib

import numpy as np
import pyarrow as pa

_BLOCK = 65_536  # ids turned into Python strings at a time: 10^6 ids never exist as one list


def unit_hash(seed: int, ids: list[str] | pa.Array | pa.ChunkedArray, salt: str = "") -> np.ndarray:
    """A float in [0, 1) per id from blake2b(seed, salt, id): stable across processes and row order."""
    prefix = f"{seed}\x1f{salt}\x1f".encode()
    out = np.empty(len(ids), np.float64)
    for start in range(0, len(ids), _BLOCK):
        block = ids[start : start + _BLOCK]
        block = block.to_pylist() if isinstance(block, (pa.Array, pa.ChunkedArray)) else block
        for k, pid in enumerate(block, start):
            digest = hashlib.blake2b(prefix + pid.encode(), digest_size=8).digest()
            out[k] = (int.from_bytes(digest, "little") >> 11) / float(1 << 53)
    return out
