"""Problems from a dataset someone already has: a local file or folder, or a Hub name.

Loaded with `datasets.load_dataset`, streaming (only the first `count` rows are read, and nothing is
written to the datasets cache); a local file's path starts at the pipeline file's folder. Each row
becomes a Problem whose id is a stable hash of (source, row id), so the same rows give the same ids
on any machine and under any seed; its scalar columns other than the question, answer and id become
its `knobs` (what `difficulty` and `heldout_values` splits read). A row whose question or gold cannot
be read is a `RowDrop` with its reason, never a guess. Rows are read once per process.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from cotsynth.core.seeding import stable_id
from cotsynth.sources.config import DatasetSpec
from cotsynth.sources.gold import answer_type, extract_gold
from cotsynth.tasks.base import Problem
from cotsynth.core.graph import StepGraph

FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
TEMPLATE_ID = "dataset"
MAX_KNOB_CHARS = 64
CHECK_ROWS = 20  # rows whose gold the config check reads


class DatasetError(ValueError):
    """A dataset that cannot be used as configured; `key` names the `dataset.` key at fault."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class RowDrop:
    id: str
    reason: str


def source_name(spec: DatasetSpec) -> str:
    """The source as written (not the absolute path): ids stay the same wherever the files live."""
    return "|".join([spec.path, spec.config or "", spec.split, spec.revision or ""])


def _load(spec: DatasetSpec, base_dir: str) -> Any:
    import datasets

    datasets.disable_progress_bars()
    path = Path(spec.path)
    local = path if path.is_absolute() else Path(base_dir) / path
    suffix = path.suffix.lower()
    try:
        if suffix in FILE_BUILDERS:
            if not local.is_file():
                raise DatasetError("path", f"no file {spec.path} (looked for {local})")
            return datasets.load_dataset(FILE_BUILDERS[suffix], data_files={spec.split: str(local)},
                                         split=spec.split, streaming=True)
        source = str(local) if local.is_dir() else spec.path
        return datasets.load_dataset(source, spec.config, split=spec.split, revision=spec.revision, streaming=True)
    except DatasetError:
        raise
    except Exception as err:  # datasets raises many kinds (offline, missing split, bad file): all one line
        message = " ".join(str(err).split())[:300]
        raise DatasetError("path", f"cannot load {spec.path!r}: {type(err).__name__}: {message}") from None


@lru_cache(maxsize=8)
def _rows(spec_json: str, base_dir: str, count: int | None) -> tuple[dict[str, Any], ...]:
    spec = DatasetSpec.model_validate_json(spec_json)
    stream = _load(spec, base_dir)
    try:
        return tuple(itertools.islice(iter(stream), count))
    except Exception as err:
        message = " ".join(str(err).split())[:300]
        raise DatasetError("path", f"cannot read {spec.path!r}: {type(err).__name__}: {message}") from None


def read_rows(spec: DatasetSpec, base_dir: str, count: int | None = None) -> tuple[dict[str, Any], ...]:
    """The first `count` rows (all when None), read once per process."""
    return _rows(spec.model_dump_json(), base_dir, count)


def check_columns(spec: DatasetSpec, base_dir: str, count: int | None = None) -> None:
    """Raise DatasetError naming the key and the column when the source lacks a configured column."""
    first = read_rows(spec, base_dir, count)
    if not first:
        raise DatasetError("path", f"{spec.path!r} split {spec.split!r} has no rows")
    columns = set(first[0])
    for key in ("question", "answer", "id"):
        column = getattr(spec, key)
        if column is not None and column not in columns:
            raise DatasetError(key, f"no column {column!r} in {spec.path!r} (columns: {', '.join(sorted(columns))})")
    # One unreadable gold is that row's drop; none readable among the first rows is a wrong `answer_extract`.
    sample = first[:CHECK_ROWS]
    found = [extract_gold(str(row.get(spec.answer) or ""), spec.answer_extract) for row in sample]
    if not any(gold is not None for gold, _ in found):
        raise DatasetError("answer_extract", f"{spec.answer_extract} reads no gold from column {spec.answer!r} in the "
                                             f"first {len(sample)} rows (row 0: {found[0][1]})")


def row_count(spec: DatasetSpec, base_dir: str, count: int | None, limit: int | None = None) -> int:
    """Rows of the first `count` (all when None), at most `limit`: one read serves every caller."""
    rows = len(read_rows(spec, base_dir, count))
    return min(rows, limit) if limit else rows


def _knobs(row: dict[str, Any], spec: DatasetSpec) -> dict[str, Any]:
    """Scalar source columns (level, topic, ...) other than the question, answer and id."""
    skip = {spec.question, spec.answer, spec.id}
    out = {}
    for column, value in row.items():
        if column in skip:
            continue
        if isinstance(value, (bool, int, float)) or (isinstance(value, str) and len(value) <= MAX_KNOB_CHARS):
            out[column] = value
    return out


def build_problem(task_key: str, spec: DatasetSpec, index: int, row: dict[str, Any]) -> Problem | RowDrop:
    """The problem of one row, or why the row cannot be one."""
    row_id = str(row[spec.id]) if spec.id is not None else str(index)
    problem_id = f"{task_key}-{stable_id(source_name(spec), row_id)}"
    question = row.get(spec.question)
    if not isinstance(question, str) or not question.strip():
        return RowDrop(problem_id, f"row {row_id}: no question text in column {spec.question!r}")
    raw = row.get(spec.answer)
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        return RowDrop(problem_id, f"row {row_id}: gold column {spec.answer!r} holds {type(raw).__name__}, not text")
    gold, why = extract_gold(raw, spec.answer_extract)
    kind = None
    if gold is not None:
        kind, why = answer_type(gold)
    if gold is None or kind is None:
        return RowDrop(problem_id, f"unparsable gold: row {row_id}: {why} (answer_extract: {spec.answer_extract})")
    source_row: dict[str, Any] = {"index": index}
    if spec.id is not None:
        source_row["id"] = row_id
    return Problem(
        id=problem_id,
        task=task_key,
        question=" ".join(question.split()),
        answer=gold,
        answer_type=kind,
        graph=StepGraph([], [], ""),
        template_id=TEMPLATE_ID,
        knobs=json.loads(json.dumps(_knobs(row, spec))),
        source_row=source_row,
    )


def dataset_problems(task_key: str, spec: DatasetSpec, base_dir: str, count: int | None,
                     start: int, stop: int) -> list[Problem | RowDrop]:
    """Problems (or drops) of rows [start, stop) of the first `count`."""
    rows = read_rows(spec, base_dir, count)
    return [build_problem(task_key, spec, index, rows[index]) for index in range(start, min(stop, len(rows)))]
