"""Randomness and ids derived from content, never from worker order or a running counter.

One hash does it all: `digest(*parts)`, blake2b of the parts joined by a unit separator. Each
example's generator is seeded by the digest of (pipeline seed, task key, index): unlike
`Random(seed + index)`, neighbouring seeds do not alias (seed 100 item 1 != seed 101 item 0). Splits
and samples draw a uniform float per id from the 8-byte digest of (seed, salt, id), so an id's draw
does not depend on the other ids or their order.
"""

from __future__ import annotations

import hashlib
import random

import numpy as np
import pyarrow as pa

_SEPARATOR = "\x1f"
_BLOCK = 65_536  # ids turned into Python strings at a time: 10^6 ids never exist as one list


def digest(*parts: object, size: int = 16) -> bytes:
    text = _SEPARATOR.join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).digest()


def rng_for(*parts: object) -> random.Random:
    """A private generator for one example; no global state is touched."""
    return random.Random(int.from_bytes(digest(*parts), "big"))


def stable_id(*parts: object) -> str:
    """A 16-hex-digit id that is the same on every machine for the same parts."""
    return digest(*parts).hex()[:16]


def bits53(*parts: object) -> int:
    """A 53-bit integer fixed by the parts: the numerator of their `unit_hash` draw, as a seed."""
    return int.from_bytes(digest(*parts, size=8), "little") >> 11


def unit_hash(seed: int, ids: list[str] | pa.Array | pa.ChunkedArray, salt: str = "") -> np.ndarray:
    """A float in [0, 1) per id, `bits53(seed, salt, id) / 2**53`: stable across processes and row
    order. The shared prefix is encoded once (this runs over every problem id)."""
    prefix = f"{seed}{_SEPARATOR}{salt}{_SEPARATOR}".encode()
    blake2b = hashlib.blake2b
    out = np.empty(len(ids), np.float64)
    for start in range(0, len(ids), _BLOCK):
        block = ids[start : start + _BLOCK]
        block = block.to_pylist() if isinstance(block, (pa.Array, pa.ChunkedArray)) else block
        # the digests joined and read as little-endian uint64 at once: no Python int per id
        raw = np.frombuffer(b"".join([blake2b(prefix + pid.encode(), digest_size=8).digest() for pid in block]), "<u8")
        out[start : start + len(block)] = (raw >> np.uint64(11)).astype(np.float64) / float(1 << 53)
    return out
