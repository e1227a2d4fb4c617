"""HyperLogLog over uint64 hashes: distinct-n of CoT text in bounded memory, streamed per batch.

Exact distinct n-gram counts over 10^6 chain-of-thought traces would hold ~10^8 hashes; 2^14
registers (16 KB) estimate within ~1% and merge across batches and workers.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.diversity.text import ngram_hashes_upto, token_hashes, tokenize

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

    def merge(self, other: HyperLogLog) -> None:
        """Fold in another sketch: the sketch of the union of both inputs."""
        np.maximum(self.registers, other.registers, out=self.registers)
        self.total += other.total

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


def distinct_sketches(texts: pa.Array | pa.ChunkedArray, sketches: dict[int, HyperLogLog], block: int = 50_000) -> None:
    """Fold the word n-grams (n = each key of `sketches`) of the texts into the sketches."""
    for start in range(0, len(texts), block):
        offsets, hashes = token_hashes(tokenize(texts.slice(start, block)))
        orders = tuple(sketches)
        for n, (_, grams) in zip(orders, ngram_hashes_upto(offsets, hashes, orders, pad_short=False)):
            sketches[n].add(grams)


def unit_sketches(questions: pa.Array | pa.ChunkedArray, cots: pa.Array | pa.ChunkedArray) -> dict[str, HyperLogLog]:
    """The distinct-n sketches of one unit's questions and CoTs, computed by the worker that made them:
    the report merges them for every unit whose rows all ship (`merge_unit_sketches`)."""
    named = {f"{kind}{n}": HyperLogLog() for kind in ("question", "cot") for n in (1, 2, 3)}
    distinct_sketches(questions, {n: named[f"question{n}"] for n in (1, 2, 3)})
    distinct_sketches(pc.fill_null(cots, ""), {n: named[f"cot{n}"] for n in (1, 2, 3)})
    return named


SKETCH_SCHEMA = pa.schema([("name", pa.string()), ("total", pa.int64()), ("registers", pa.binary(_M))])


def sketches_table(named: dict[str, HyperLogLog]) -> pa.Table:
    """Named sketches as a small Arrow table (what a worker sends with its unit)."""
    return pa.table(
        {
            "name": list(named),
            "total": [s.total for s in named.values()],
            "registers": [s.registers.tobytes() for s in named.values()],
        },
        schema=SKETCH_SCHEMA,
    )


def sketches_from_table(table: pa.Table) -> dict[str, HyperLogLog]:
    out = {}
    for name, total, registers in zip(*(table.column(c).to_pylist() for c in ("name", "total", "registers"))):
        sketch = HyperLogLog()
        sketch.registers = np.frombuffer(registers, np.uint8).copy()
        sketch.total = total
        out[name] = sketch
    return out
