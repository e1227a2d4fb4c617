"""Randomness and ids derived from content, never from worker order or a running counter.

Each example's generator is seeded by a hash of (pipeline seed, task key, index): unlike
`Random(seed + index)`, neighbouring seeds do not alias (seed 100 item 1 != seed 101 item 0).
"""

from __future__ import annotations

import hashlib
import random


def _digest(*parts: object) -> bytes:
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


def rng_for(*parts: object) -> random.Random:
    """A private generator for one example; no global state is touched."""
    return random.Random(int.from_bytes(_digest(*parts), "big"))


def stable_id(*parts: object) -> str:
    """A 16-hex-digit id that is the same on every machine for the same parts."""
    return _digest(*parts).hex()[:16]


def unit_fraction(*parts: object) -> float:
    """A number in [0, 1) fixed by the parts: for hash-based assignment (splits, sampling)."""
    return int.from_bytes(_digest(*parts)[:8], "big") / 2**64
