"""Training views derived from canonical records: the layouts SFT, RL and PRM trainers read as is.

- `sft`: `messages`, TRL's conversational format; the assistant turn is the CoT followed by the final
  answer (`\\boxed{...}` or `Answer: ...`, per `output.answer_format`). Only verified records, unless
  `output.sft.include_unverified`: then an unverified trace ends in its OWN predicted answer (or in
  no answer when it has none), never in the gold one. Error-injected negatives never enter sft.
- `rl`: verl's layout (`data_source`, `prompt`, `ability`, `reward_model`, `extra_info`), one row per
  problem (a prompt and its ground truth; no trace).
- `prm`: TRL's stepwise supervision (`prompt`, `completions`, `labels`), one row per trace with steps
  (negatives included); `output.prm.stop_at_first_error` cuts each row after its first False step.

Rows are built in the workers, per unit (`unit_views`); the driver only places them in a split and
numbers the rl rows (`place_rl`), as it does for the canonical records.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pyarrow as pa

from cotsynth.schema import problem_id_of
from cotsynth.traces.negatives import SOURCE as NEGATIVE

MESSAGE = pa.struct([("role", pa.string()), ("content", pa.string())])

VIEW_SCHEMAS = {
    "sft": pa.schema([("id", pa.string()), ("messages", pa.list_(MESSAGE))]),
    "rl": pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(MESSAGE)),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            (
                "extra_info",
                pa.struct(
                    [
                        ("split", pa.string()),
                        ("index", pa.int64()),
                        ("id", pa.string()),
                        ("task", pa.string()),
                        ("family", pa.string()),
                        ("knobs", pa.string()),
                        ("answer_type", pa.string()),
                        ("graph", pa.string()),
                    ]
                ),
            ),
        ]
    ),
    "prm": pa.schema(
        [("id", pa.string()), ("prompt", pa.string()), ("completions", pa.list_(pa.string())), ("labels", pa.list_(pa.bool_()))]
    ),
}

RL_INSTRUCTION = "Think step by step, then give the final answer as \\boxed{answer}."


def final_answer(answer: str, answer_format: str) -> str:
    return f"\\boxed{{{answer}}}" if answer_format == "boxed" else f"Answer: {answer}"


def in_sft(record: dict[str, Any], include_unverified: bool) -> bool:
    """Whether a record gives an sft row: verified, or unverified when asked for, never a negative."""
    return record["verified"] or (include_unverified and record["source"] != NEGATIVE)


def sft_row(record: dict[str, Any], answer_format: str) -> dict[str, Any]:
    """The answer that ends the reply is the gold one only for a verified record; an unverified one
    ends in what it predicted itself."""
    answer = record["answer"] if record["verified"] else json.loads(record["meta"]).get("predicted_answer")
    ending = final_answer(answer, answer_format) if answer else ""
    reply = "\n".join(part for part in (record["cot"], ending) if part)
    return {
        "id": record["id"],
        "messages": [{"role": "user", "content": record["question"]}, {"role": "assistant", "content": reply}],
    }


def rl_row(record: dict[str, Any], index: int) -> dict[str, Any]:
    return {
        "data_source": f"cotsynth/{record['family']}",
        "prompt": [{"role": "user", "content": f"{record['question']}\n{RL_INSTRUCTION}"}],
        "ability": record["family"],
        "reward_model": {"style": "rule", "ground_truth": record["answer"]},
        "extra_info": {
            "split": record["split"],
            "index": index,
            "id": problem_id_of(record["id"]),
            "task": record["task"],
            "family": record["family"],
            "knobs": record["knobs"],
            "answer_type": record["answer_type"],
            "graph": record["graph"],  # lets a family with many right answers score any of them
        },
    }


def prm_row(record: dict[str, Any], stop_at_first_error: bool = False) -> dict[str, Any]:
    steps, labels = record["cot_steps"], record["step_labels"]
    if stop_at_first_error and False in labels:
        end = labels.index(False) + 1
        steps, labels = steps[:end], labels[:end]
    return {"id": record["id"], "prompt": record["question"], "completions": steps, "labels": labels}


def unit_views(records: list[dict[str, Any]], formats: list[str], answer_format: str, include_unverified: bool = False,
               stop_at_first_error: bool = False) -> dict[str, pa.Table]:
    """One unit's rows of each view, in record order: per problem, one sft row per record `in_sft`,
    one rl row (from its first record) and one prm row per record with step labels."""
    rows: dict[str, list[dict[str, Any]]] = {view: [] for view in formats}
    previous_problem = None
    for record in records:
        problem = problem_id_of(record["id"])
        if "sft" in rows and in_sft(record, include_unverified):
            rows["sft"].append(sft_row(record, answer_format))
        if "rl" in rows and problem != previous_problem:
            rows["rl"].append(rl_row(record, 0))
        if "prm" in rows and record["step_labels"] is not None:
            rows["prm"].append(prm_row(record, stop_at_first_error))
        previous_problem = problem
    return {view: pa.Table.from_pylist(view_rows, schema=VIEW_SCHEMAS[view]) for view, view_rows in rows.items()}


def place_rl(table: pa.Table, split: str, first_index: int) -> pa.Table:
    """rl rows with `extra_info.split` and a running `extra_info.index` (verl numbers rows per split)."""
    info = table.column("extra_info").combine_chunks()
    n = len(info)
    fields = list(info.type)
    values = [info.field(f.name) for f in fields]
    values[info.type.get_field_index("split")] = pa.array([split] * n, pa.string())
    values[info.type.get_field_index("index")] = pa.array(np.arange(first_index, first_index + n, dtype=np.int64))
    position = table.schema.get_field_index("extra_info")
    return table.set_column(position, table.schema.field(position), pa.StructArray.from_arrays(values, fields=fields))
