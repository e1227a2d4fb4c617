"""The writer: every unit's records and view rows streamed into the split shards, in unit order.

Each problem's rows take its split code: how many rows a problem has in each output table was
counted by the worker that built them (`rows_<table>` in the problems part, from the view registry's
rule), so the driver only repeats codes and routes rows; a view's `place` finishes its rows in a split.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.core import progress
from cotsynth.core.vocabulary import SPLITS
from cotsynth.output.shards import ShardWriter
from cotsynth.output.views import VIEWS
from cotsynth.pipeline.outdir import DATA
from cotsynth.pipeline.parts import Parts
from cotsynth.schema import RECORD_SCHEMA
from cotsynth.traces.negatives import SOURCE as NEGATIVE

_SPLIT_NAMES = pa.array(["", *SPLITS], pa.string())


def split_labels(codes: np.ndarray) -> pa.Array:
    """Split names of split codes (code -1, dropped: the empty string)."""
    return _SPLIT_NAMES.take(pa.array(codes.astype(np.int64) + 1))


def split_counts(split_code: np.ndarray, rows: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
    """Per non-empty split: its problems and its rows in each output table."""
    counts = {}
    for code, split in enumerate(SPLITS):
        here = split_code == code
        if here.any():
            counts[split] = {"problems": int(here.sum())} | {name: int(n[here].sum()) for name, n in rows.items()}
    return counts


def count_contents(counts: dict[str, int], name: str, rows: pa.Table) -> None:
    """What a split's rows are made of, for the card: verified records and error-injected negatives
    among the data rows, and the False step labels of the prm rows."""
    if name == DATA:
        counts["data_verified"] = counts.get("data_verified", 0) + int(pc.sum(rows.column("verified")).as_py() or 0)
        negatives = pc.sum(pc.equal(rows.column("source"), NEGATIVE)).as_py() or 0
        counts["data_negatives"] = counts.get("data_negatives", 0) + int(negatives)
    elif name == "prm":
        labels = pc.list_flatten(rows.column("labels"))
        counts["prm_labels"] = counts.get("prm_labels", 0) + len(labels)
        counts["prm_false_labels"] = counts.get("prm_false_labels", 0) + int(pc.sum(pc.invert(labels)).as_py() or 0)


def write_shards(
    parts: Parts, split_code: np.ndarray, rows: dict[str, np.ndarray], counts: dict[str, dict[str, int]], shard_rows: int
) -> dict[str, list[str]]:
    """Stream every unit's tables into the split shards; `rows[table]` is each problem's row count in
    it (`data` first, then the views). Returns the files written per table."""
    out_dir: Path = parts.out_dir
    schemas = {DATA: RECORD_SCHEMA} | {name: VIEWS[name].schema for name in rows if name != DATA}
    writers = {  # an empty split of a table gets no shard (a 0-row shard breaks datasets.load_dataset)
        (name, split): ShardWriter(out_dir / name, split, schemas[name], split_counts_of[name], shard_rows)
        for split, split_counts_of in counts.items()
        for name in rows
        if split_counts_of[name]
    }
    placed: Counter[tuple[str, str]] = Counter()
    split_field = RECORD_SCHEMA.get_field_index("split")
    for k, unit in enumerate(parts.units):
        here = parts.rows(k)
        codes = split_code[here]
        per_row = {name: np.repeat(codes, n[here]) for name, n in rows.items()}
        tables = {name: parts.read(unit, "records" if name == DATA else name) for name in rows}
        for name, table in tables.items():
            if table.num_rows != len(per_row[name]):
                raise RuntimeError(
                    f"part {unit.key}: {table.num_rows} {name} rows where the problems table counts {len(per_row[name])}"
                )
        tables[DATA] = tables[DATA].set_column(split_field, RECORD_SCHEMA.field("split"), split_labels(per_row[DATA]))
        for split in counts:
            code = SPLITS.index(split)
            for name, table in tables.items():
                if (name, split) not in writers:
                    continue
                chosen = table.filter(pa.array(per_row[name] == code))
                count_contents(counts[split], name, chosen)
                if name != DATA:
                    chosen = VIEWS[name].place(chosen, split, placed[name, split])
                    placed[name, split] += chosen.num_rows
                writers[name, split].write(chosen)
                progress.add("write.done", chosen.num_rows)
    files: dict[str, list[str]] = {}
    for (name, _split), writer in writers.items():
        files.setdefault(name, []).extend(str(p.relative_to(out_dir)) for p in writer.close())
    return files
