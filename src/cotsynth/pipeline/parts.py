"""A run's per-unit part files: what a finished unit leaves in `DIR/.cotsynth/parts/`.

`{unit}.records|problems|sft|rl|prm.arrow` (Arrow IPC, each renamed into place when
complete), then `{unit}.stats.json`, written last: a unit is done when its stats file exists, which
is what `--resume` skips. `Parts` reads them back unit by unit for the global steps and the shards.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.diversity.keys import fixed_list_matrix
from cotsynth.diversity.minhash import NUM_PERM
from cotsynth.output.shards import write_text_atomic
from cotsynth.pipeline.chain import UnitResult
from cotsynth.pipeline.outdir import PARTS
from cotsynth.pipeline.units import WorkUnit


def part_path(out_dir: Path, unit: WorkUnit, kind: str) -> Path:
    return out_dir / PARTS / f"{unit.key}.{kind}"


def save_tables(out_dir: Path, result: UnitResult) -> UnitResult:
    """Write a unit's tables, each under a temporary name renamed when complete; returns the result
    without them (what is left to send is its stats)."""
    for name, table in result.tables.items():
        path = part_path(out_dir, result.unit, f"{name}.arrow")
        temporary = path.with_name(path.name + ".tmp")
        with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
            writer.write_table(table)
        temporary.replace(path)
    return UnitResult(result.unit, None, result.stats)


def mark_done(out_dir: Path, result: UnitResult) -> None:
    """The stats file, written once every table of the unit is in place: the unit is done."""
    write_text_atomic(part_path(out_dir, result.unit, "stats.json"), json.dumps(result.stats))


def read_arrow(path: Path) -> pa.Table:
    with pa.memory_map(str(path)) as source:
        return pa.ipc.open_file(source).read_all()


class Parts:
    """The per-unit part files of a run, read back unit by unit (never all text at once)."""

    COMPACT_DROP = ("question", "minhash")  # text and signatures stay on disk
    DICTIONARY = ("task", "template_id", "knobs", "shape")  # few distinct values: 4 bytes a row
    BLOCK = 64  # units combined into one in-memory chunk

    def __init__(self, out_dir: Path, units: list[WorkUnit]):
        self.out_dir = out_dir
        self.units = units
        # a dataset row that cannot be a problem leaves a unit with fewer problems than its index range
        self.offsets = np.cumsum([0] + [self.read(u, "problems", ["problem_id"]).num_rows for u in units])

    def rows(self, k: int) -> slice:
        """Unit k's problems, as rows of the per-problem arrays (record counts, split codes)."""
        return slice(self.offsets[k], self.offsets[k + 1])

    def read(self, unit: WorkUnit, kind: str, columns: list[str] | None = None) -> pa.Table:
        table = read_arrow(part_path(self.out_dir, unit, f"{kind}.arrow"))
        return table.select(columns) if columns else table

    def row_counts(self, outputs: list[str]) -> dict[str, np.ndarray]:
        """Per problem, its rows in each output table (`data` and each view), from the workers' counts."""
        columns = [f"rows_{name}" for name in outputs]
        both = pa.concat_tables([self.read(u, "problems", columns) for u in self.units])
        return {name: np.asarray(both.column(c), np.int64) for name, c in zip(outputs, columns)}

    def compact_problems(self) -> pa.Table:
        """Every problem's compact columns, in unit order, as heap memory (no part stays mapped)."""
        blocks = []
        for first in range(0, len(self.units), self.BLOCK):
            tables = []
            for unit in self.units[first : first + self.BLOCK]:
                table = self.read(unit, "problems")
                tables.append(table.drop_columns([c for c in self.COMPACT_DROP if c in table.column_names]))
            block = pa.concat_tables(tables).combine_chunks()
            for name in self.DICTIONARY:
                position = block.schema.get_field_index(name)
                block = block.set_column(position, name, pc.dictionary_encode(block.column(name)))
            blocks.append(block)
        return pa.concat_tables(blocks).unify_dictionaries()

    def signatures(self, rows: np.ndarray) -> np.ndarray:
        """MinHash signatures of the given (sorted) global problem rows, read from their units' parts."""
        out = np.empty((len(rows), NUM_PERM), np.uint32)
        unit_of = np.searchsorted(self.offsets, rows, side="right") - 1
        bounds = np.searchsorted(unit_of, np.arange(len(self.units) + 1))
        for k in np.unique(unit_of).tolist():
            local = rows[bounds[k] : bounds[k + 1]] - self.offsets[k]
            column = self.read(self.units[k], "problems", ["minhash"]).column("minhash")
            out[bounds[k] : bounds[k + 1]] = fixed_list_matrix(column.take(pa.array(local)), NUM_PERM, np.uint32)
        return out
