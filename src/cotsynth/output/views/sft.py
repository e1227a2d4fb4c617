"""`sft`: `messages`, TRL's conversational format, one row per record; the assistant turn is the CoT
followed by the final answer (`\\boxed{...}` or `Answer: ...`, per `output.answer_format`)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from cotsynth.output.views.registry import MESSAGE, View, final_answer, register


def sft_row(record: dict[str, Any], answer_format: str) -> dict[str, Any]:
    ending = final_answer(record["answer"], answer_format)
    reply = f"{record['cot']}\n{ending}" if record["cot"] else ending
    return {
        "id": record["id"],
        "messages": [{"role": "user", "content": record["question"]}, {"role": "assistant", "content": reply}],
    }


SFT = register(
    View(
        name="sft",
        schema=pa.schema([("id", pa.string()), ("messages", pa.list_(MESSAGE))]),
        row=sft_row,
        takes=lambda record, first: True,
    )
)
