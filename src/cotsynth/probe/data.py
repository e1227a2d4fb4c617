"""The probe's examples: an output's canonical rows as (prompt, completion) text.

The completion is what the `sft` view's assistant turn holds (the CoT, then the final answer in the
output's `answer_format`), so the probe learns the data as a fine-tune would see it, and the answer is
read back from a decode the way the data's format defines it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

from cotsynth.core.vocabulary import SPLITS
from cotsynth.output.views.registry import final_answer
from cotsynth.verify import extract_answer

COLUMNS = ["id", "task", "split", "granularity", "question", "cot", "answer"]


class ProbeDataError(ValueError):
    """An output the probe cannot read, or a selection with no rows; the message says which."""


@dataclass(frozen=True)
class Example:
    prompt: str  # the question and a newline
    completion: str  # the CoT and the final answer
    answer: str


@dataclass(frozen=True)
class Output:
    folder: Path
    manifest: dict
    answer_format: str
    splits: list[str]  # in the manifest's order (train first)


def open_output(folder: Path) -> Output:
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError) as err:
        raise ProbeDataError(f"{folder}: not a finished cotsynth output ({err})") from None
    if not sorted((folder / "data").glob("*.parquet")):
        raise ProbeDataError(f"{folder}: no data/*.parquet shards")
    answer_format = manifest["config"]["output"].get("answer_format", "boxed")
    return Output(folder, manifest, answer_format, run_order(manifest["counts"]["splits"]))


def run_order(splits: dict) -> list[str]:
    """Split names as the run orders them (train, validation, test); manifest.json stores them sorted."""
    return sorted(splits, key=lambda s: (SPLITS.index(s) if s in SPLITS else len(SPLITS), s))


def completion_text(cot: str, answer: str, answer_format: str) -> str:
    ending = final_answer(answer, answer_format)
    return f"{cot}\n{ending}" if cot else ending


def read_answer(completion: str, answer_format: str) -> str | None:
    """The final answer in a decoded completion, by the output's answer format."""
    strategy = "boxed" if answer_format == "boxed" else "answer_line"
    return extract_answer(completion, strategies=(strategy,))


def load_examples(output: Output, granularity: str, tasks: list[str] | None, max_rows: int | None,
                  seed: int = 0) -> dict[str, list[Example]]:
    """Rows of one granularity (and of `tasks`, if given) per split; at most `max_rows` per split,
    drawn by a fixed permutation so a cap keeps every task's share."""
    table = ds.dataset(sorted(str(p) for p in (output.folder / "data").glob("*.parquet")), format="parquet")
    known = set(table.schema.names)
    missing = [c for c in COLUMNS if c not in known]
    if missing:
        raise ProbeDataError(f"{output.folder}: data shards lack column(s) {missing}")
    rows = table.to_table(columns=COLUMNS, filter=pc.field("granularity") == granularity)
    if tasks:
        rows = rows.filter(_of_tasks(rows, tasks))
    found: dict[str, list[Example]] = {}
    for split in output.splits:
        part = rows.filter(pc.field("split") == split).to_pylist()
        order = np.random.default_rng(seed).permutation(len(part))
        if max_rows is not None:
            order = order[:max_rows]
        found[split] = [_example(part[i], output.answer_format) for i in sorted(order)]
    return found


def _of_tasks(rows, tasks: list[str]):
    """Rows of a family (`task` column) or of a pipeline task by name (ids start with `NAME-`)."""
    keep = pc.is_in(rows["task"], value_set=pa.array(tasks, type=pa.string()))
    for name in tasks:
        keep = pc.or_(keep, pc.starts_with(rows["id"], f"{name}-"))
    return keep


def _example(row: dict, answer_format: str) -> Example:
    return Example(
        prompt=f"{row['question']}\n",
        completion=completion_text(row["cot"], row["answer"], answer_format),
        answer=row["answer"],
    )
