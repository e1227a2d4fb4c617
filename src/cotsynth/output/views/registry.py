"""The view registry: what a view declares, and one unit's rows of every configured view."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from cotsynth.schema import problem_id_of

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])


def _as_is(table: pa.Table, split: str, first_index: int) -> pa.Table:
    return table


@dataclass(frozen=True)
class View:
    name: str  # also its config name (`output.formats`) and its folder in the output dir
    schema: pa.Schema
    row: Callable[[dict[str, Any], str], dict[str, Any]]  # (record, answer format) -> row
    takes: Callable[[dict[str, Any], bool], bool]  # (record, first of its problem?) -> gives a row?
    place: Callable[[pa.Table, str, int], pa.Table] = _as_is  # (rows, split, rows of the split before)


VIEWS: dict[str, View] = {}


def register(view: View) -> View:
    VIEWS[view.name] = view
    return view


def final_answer(answer: str, answer_format: str) -> str:
    return f"\\boxed{{{answer}}}" if answer_format == "boxed" else f"Answer: {answer}"


def unit_views(
    records: list[dict[str, Any]], problem_ids: list[str], formats: list[str], answer_format: str
) -> tuple[dict[str, pa.Table], dict[str, list[int]]]:
    """One unit's rows of each view, in record order, and each view's row count per problem (records
    come grouped by problem, in `problem_ids` order)."""
    views = [VIEWS[name] for name in formats]
    rows: dict[str, list[dict[str, Any]]] = {view.name: [] for view in views}
    counts: dict[str, list[int]] = {view.name: [0] * len(problem_ids) for view in views}
    position = {problem_id: k for k, problem_id in enumerate(problem_ids)}
    previous_problem = None
    for record in records:
        problem = problem_id_of(record["id"])
        first = problem != previous_problem
        for view in views:
            if view.takes(record, first):
                rows[view.name].append(view.row(record, answer_format))
                counts[view.name][position[problem]] += 1
        previous_problem = problem
    tables = {view.name: pa.Table.from_pylist(rows[view.name], schema=view.schema) for view in views}
    return tables, counts
