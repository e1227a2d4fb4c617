"""The canonical record: one Arrow schema, used by every writer of `data/`.

Structured fields that vary by task (knobs, graph, verification, meta) are JSON strings so that the
column types never change between families: mixed-type columns are exactly what makes `datasets`
refuse a Parquet file. docs/schema.md documents every column.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

RECORD_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("task", pa.string(), nullable=False),
        pa.field("split", pa.string(), nullable=False),
        pa.field("knobs", pa.string(), nullable=False),
        pa.field("seed", pa.int64(), nullable=False),
        pa.field("template_id", pa.string(), nullable=False),
        pa.field("question", pa.string(), nullable=False),
        pa.field("answer", pa.string(), nullable=False),
        pa.field("answer_type", pa.string(), nullable=False),
        pa.field("granularity", pa.string(), nullable=False),
        pa.field("style", pa.string(), nullable=False),
        pa.field("cot", pa.string(), nullable=False),
        pa.field("cot_steps", pa.list_(pa.string()), nullable=False),
        pa.field("source", pa.string(), nullable=False),
        pa.field("sample_index", pa.int32(), nullable=False),
        pa.field("verified", pa.bool_(), nullable=False),
        pa.field("step_labels", pa.list_(pa.bool_()), nullable=True),
        pa.field("verification", pa.string(), nullable=False),
        pa.field("atoms", pa.list_(pa.string()), nullable=False),
        pa.field("compounds", pa.list_(pa.string()), nullable=False),
        pa.field("complexity", pa.int32(), nullable=False),
        pa.field("graph", pa.string(), nullable=False),
        pa.field("meta", pa.string(), nullable=False),
    ]
)

COLUMNS = RECORD_SCHEMA.names
JSON_COLUMNS = ("knobs", "verification", "graph", "meta")


# One encoder for every call (json.dumps builds one per call); records are trees, so the circular-
# reference bookkeeping is skipped: together a fifth of the cost of encoding a record.
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def record_id(trace: Any) -> str:
    """A trace's record id: `<problem id>/<granularity>/<style>/<source>/<sample index>`."""
    return f"{trace.problem.id}/{trace.granularity}/{trace.style}/{trace.source}/{trace.sample_index}"


def problem_id_of(record_id: str) -> str:
    """The problem a record belongs to: a record id is `<problem id>/<granularity>/<style>/<source>/<sample>`."""
    return record_id.split("/", 1)[0]


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys and no spaces, so equal values give equal bytes."""
    return _ENCODER.encode(value)


def to_table(records: list[dict[str, Any]]) -> pa.Table:
    """Build a table of canonical records, failing loudly on a missing or extra column."""
    for record in records:
        if set(record) != set(COLUMNS):
            missing = sorted(set(COLUMNS) - set(record))
            extra = sorted(set(record) - set(COLUMNS))
            raise ValueError(f"record does not match the schema: missing={missing} extra={extra}")
    return pa.Table.from_pylist(records, schema=RECORD_SCHEMA)
