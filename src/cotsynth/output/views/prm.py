"""`prm`: TRL's stepwise supervision (`prompt`, `completions`, `labels`), one row per record whose
trace has step labels."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cotsynth.output.views.registry import View, register


def prm_row(record: dict[str, Any], answer_format: str = "boxed") -> dict[str, Any]:
    return {
        "id": record["id"],
        "prompt": record["question"],
        "completions": record["cot_steps"],
        "labels": record["step_labels"],
    }


PRM = register(
    View(
        name="prm",
        schema=pa.schema(
            [("id", pa.string()), ("prompt", pa.string()), ("completions", pa.list_(pa.string())), ("labels", pa.list_(pa.bool_()))]
        ),
        row=prm_row,
        takes=lambda record, first: record["step_labels"] is not None,
    )
)
