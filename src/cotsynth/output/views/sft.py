"""`sft`: `messages`, TRL's conversational format, one row per verified record; the assistant turn is
the CoT followed by the final answer (`\\boxed{...}` or `Answer: ...`, per `output.answer_format`).

Only verified records, unless `output.sft.include_unverified`: then an unverified trace ends in its
OWN predicted answer (or in no answer when it has none), never in the gold one. Error-injected
negatives never enter sft."""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from cotsynth.output.views.registry import MESSAGE, View, ViewOptions, final_answer, register
from cotsynth.traces.negatives import SOURCE as NEGATIVE


def in_sft(record: dict[str, Any], first: bool, options: ViewOptions) -> bool:
    """Whether a record gives an sft row: verified, or unverified when asked for, never a negative."""
    return record["verified"] or (options.include_unverified and record["source"] != NEGATIVE)


def sft_row(record: dict[str, Any], options: ViewOptions) -> dict[str, Any]:
    """The answer that ends the reply is the gold one only for a verified record; an unverified one
    ends in what it predicted itself."""
    answer = record["answer"] if record["verified"] else json.loads(record["meta"]).get("predicted_answer")
    ending = final_answer(answer, options.answer_format) if answer else ""
    reply = "\n".join(part for part in (record["cot"], ending) if part)
    return {
        "id": record["id"],
        "messages": [{"role": "user", "content": record["question"]}, {"role": "assistant", "content": reply}],
    }


SFT = register(
    View(
        name="sft",
        schema=pa.schema([("id", pa.string()), ("messages", pa.list_(MESSAGE))]),
        row=sft_row,
        takes=in_sft,
    )
)
