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
    """Takes a split's rows in order and cuts them into `shard_rows`-row shards, streaming.

    Rows go out in row groups of ROW_GROUP_ROWS as soon as a group is full, so memory holds at most
    one row group per writer whatever the shard size; the open shard has a temporary name until its
    last row is written.
    """

    def __init__(self, folder: Path, split: str, schema: pa.Schema, total_rows: int, shard_rows: int):
        self.folder = folder
        self.split = split
        self.schema = schema
        self.total_rows = total_rows
        self.shard_rows = shard_rows
        self.count = max(1, math.ceil(total_rows / shard_rows))
        self.paths: list[Path] = []
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        self._written = 0
        self._in_shard = 0  # rows written to the open shard
        self._writer: pq.ParquetWriter | None = None

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self._buffer.append(table)
        self._buffered += table.num_rows
        while self._buffered >= min(ROW_GROUP_ROWS, self.shard_rows - self._in_shard):
            self._write_group(min(ROW_GROUP_ROWS, self.shard_rows - self._in_shard))

    def close(self) -> list[Path]:
        if self._buffered:
            self._write_group(self._buffered)
        if self._writer is not None:
            self._finish_shard()
        if not self.paths:  # an empty split still gets its one (empty) shard
            write_parquet_atomic(self.schema.empty_table(), self.folder / shard_name(self.split, 0, self.count))
            self.paths.append(self.folder / shard_name(self.split, 0, self.count))
        if self._written != self.total_rows or len(self.paths) != self.count:
            raise RuntimeError(
                f"{self.split}: wrote {self._written} rows in {len(self.paths)} shards, "
                f"planned {self.total_rows} in {self.count}"
            )
        return self.paths

    def _write_group(self, rows: int) -> None:
        combined = pa.concat_tables(self._buffer)  # chunks as they came: the writer takes them without a copy
        group, rest = combined.slice(0, rows), combined.slice(rows)
        self._buffer, self._buffered = ([rest] if rest.num_rows else []), rest.num_rows
        if self._writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._writer = pq.ParquetWriter(self._temporary(), self.schema, compression="zstd")
        self._writer.write_table(group, row_group_size=ROW_GROUP_ROWS)
        self._in_shard += group.num_rows
        self._written += group.num_rows
        if self._in_shard == self.shard_rows:
            self._finish_shard()

    def _temporary(self) -> Path:
        return self.folder / f".{shard_name(self.split, len(self.paths), self.count)}.tmp"

    def _finish_shard(self) -> None:
        self._writer.close()
        path = self.folder / shard_name(self.split, len(self.paths), self.count)
        os.replace(self._temporary(), path)
        self.paths.append(path)
        self._writer, self._in_shard = None, 0


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
