"""Parquet shards with Hugging Face names (`train-00000-of-00003.parquet`), written atomically.

The number of shards is fixed up front from the split's row count, so names and sizes are a pure
function of the data. Each shard is written under a temporary name and renamed when complete: an
interrupted run never leaves a half-written file under a final name.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROW_GROUP_ROWS = 10_000


def shard_name(split: str, index: int, count: int) -> str:
    return f"{split}-{index:05d}-of-{count:05d}.parquet"


class ShardWriter:
    """Takes a split's rows in order and cuts them into `shard_rows`-row shards."""

    def __init__(self, folder: Path, split: str, schema: pa.Schema, total_rows: int, shard_rows: int):
        self.folder = folder
        self.split = split
        self.schema = schema
        self.total_rows = total_rows
        self.shard_rows = shard_rows
        self.count = max(1, math.ceil(total_rows / shard_rows))
        self.paths: list[Path] = []
        self._index = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._written = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._buffer.append(table)
        self._buffered += table.num_rows
        while self._buffered >= self.shard_rows:
            self._flush(self.shard_rows)

    def close(self) -> list[Path]:
        if self._buffered or not self.paths:
            self._flush(self._buffered)
        if self._written != self.total_rows or len(self.paths) != self.count:
            raise RuntimeError(
                f"{self.split}: wrote {self._written} rows in {len(self.paths)} shards, "
                f"planned {self.total_rows} in {self.count}"
            )
        return self.paths

    def _flush(self, rows: int) -> None:
        combined = pa.concat_tables(self._buffer).combine_chunks() if self._buffer else self.schema.empty_table()
        shard, rest = combined.slice(0, rows), combined.slice(rows)
        self._buffer, self._buffered = ([rest] if rest.num_rows else []), rest.num_rows
        path = self.folder / shard_name(self.split, self._index, self.count)
        write_parquet_atomic(shard, path)
        self.paths.append(path)
        self._index += 1
        self._written += shard.num_rows


def write_parquet_atomic(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS, compression="zstd")
    os.replace(temporary, path)


def write_text_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
