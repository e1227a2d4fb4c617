"""`rl`: verl's layout (`data_source`, `prompt`, `ability`, `reward_model`, `extra_info`), one row per
problem (a prompt and its ground truth, from its first record; no trace), numbered per split."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from cotsynth.output.views.registry import MESSAGE, View, register
from cotsynth.schema import problem_id_of

RL_INSTRUCTION = "Think step by step, then give the final answer as \\boxed{answer}."

EXTRA_INFO = pa.struct(
    [
        ("split", pa.string()),
        ("index", pa.int64()),
        ("id", pa.string()),
        ("task", pa.string()),
        ("knobs", pa.string()),
        ("answer_type", pa.string()),
        ("graph", pa.string()),
    ]
)


def rl_row(record: dict[str, Any], answer_format: str = "boxed") -> dict[str, Any]:
    return {
        "data_source": f"cotsynth/{record['task']}",
        "prompt": [{"role": "user", "content": f"{record['question']}\n{RL_INSTRUCTION}"}],
        "ability": record["task"],
        "reward_model": {"style": "rule", "ground_truth": record["answer"]},
        "extra_info": {
            "split": record["split"],
            "index": 0,  # numbered per split by `place_rl`
            "id": problem_id_of(record["id"]),
            "task": record["task"],
            "knobs": record["knobs"],
            "answer_type": record["answer_type"],
            "graph": record["graph"],  # lets a family with many right answers score any of them
        },
    }


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


RL = register(
    View(
        name="rl",
        schema=pa.schema(
            [
                ("data_source", pa.string()),
                ("prompt", pa.list_(MESSAGE)),
                ("ability", pa.string()),
                ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
                ("extra_info", EXTRA_INFO),
            ]
        ),
        row=rl_row,
        takes=lambda record, first: first,
        place=place_rl,
    )
)
