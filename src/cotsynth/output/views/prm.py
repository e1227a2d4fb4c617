"""`prm`: TRL's stepwise supervision (`prompt`, `completions`, `labels`), one row per record whose
trace has step labels, error-injected negatives included; `output.prm.stop_at_first_error` cuts each
row after its first False step (Math-Shepherd style)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cotsynth.output.views.registry import View, ViewOptions, register


def prm_row(record: dict[str, Any], options: ViewOptions) -> dict[str, Any]:
    steps, labels = record["cot_steps"], record["step_labels"]
    if options.stop_at_first_error and False in labels:
        end = labels.index(False) + 1
        steps, labels = steps[:end], labels[:end]
    return {"id": record["id"], "prompt": record["question"], "completions": steps, "labels": labels}


PRM = register(
    View(
        name="prm",
        schema=pa.schema(
            [("id", pa.string()), ("prompt", pa.string()), ("completions", pa.list_(pa.string())), ("labels", pa.list_(pa.bool_()))]
        ),
        row=prm_row,
        takes=lambda record, first, options: record["step_labels"] is not None,
    )
)
