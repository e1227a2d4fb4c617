"""What a teacher's chat-completion body must look like before anything reads or caches it.

A server is untrusted: `message: "str"`, `content: 42`, `usage: "lots"` or `prompt_tokens: 1e400`
(JSON's infinity) must become a failure with a reason, never a crash, and never a cache entry that
crashes every `--resume` again. The body's size is capped while it streams in (after decompression:
a 291 KB gzip body can inflate to 300 MB).
"""

from __future__ import annotations

import json
import math
from typing import Any

MAX_TOKENS_FIELD = 2**53  # larger "token counts" are nonsense, and would overflow Arrow's int64 sums


class InvalidResponse(ValueError):
    """The body is not a usable chat completion; the message says why (it becomes the failure detail)."""


def read_body(chunks: list[bytes] | bytes) -> Any:
    """The JSON document of a body; InvalidResponse when it is not JSON."""
    body = b"".join(chunks) if isinstance(chunks, list) else chunks
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise InvalidResponse(f"body is not JSON ({type(err).__name__})") from None


def completion_fields(data: Any, text: bool = False) -> dict[str, Any]:
    """{content, finish_reason, prompt_tokens, completion_tokens} of a validated chat completion (or,
    with `text`, of a text completion: `choices[0].text` instead of `choices[0].message.content`)."""
    if not isinstance(data, dict):
        raise InvalidResponse(f"body is a JSON {type(data).__name__}, not an object")
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise InvalidResponse("`choices` is not a non-empty list of objects")
    choice = choices[0]
    if text:
        content, where = choice.get("text"), "`choices[0].text`"
    else:
        message = choice.get("message")
        if not isinstance(message, dict):
            raise InvalidResponse(f"`choices[0].message` is a {type(message).__name__}, not an object")
        content, where = message.get("content"), "`choices[0].message.content`"
    if content is not None and not isinstance(content, str):
        raise InvalidResponse(f"{where} is a {type(content).__name__}, not a string")
    finish = choice.get("finish_reason")
    if finish is not None and not isinstance(finish, str):
        raise InvalidResponse(f"`choices[0].finish_reason` is a {type(finish).__name__}, not a string")
    usage = data.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise InvalidResponse(f"`usage` is a {type(usage).__name__}, not an object")
    usage = usage or {}
    return {"content": content or "", "finish_reason": finish,
            "prompt_tokens": _count(usage, "prompt_tokens"), "completion_tokens": _count(usage, "completion_tokens")}


def _count(usage: dict[str, Any], name: str) -> int:
    value = usage.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidResponse(f"`usage.{name}` is a {type(value).__name__}, not a number")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise InvalidResponse(f"`usage.{name}` is {value!r}, not a whole number")
    if not 0 <= value <= MAX_TOKENS_FIELD:
        raise InvalidResponse(f"`usage.{name}` is {value!r}, outside [0, 2**53]")
    return int(value)


def valid_cached(entry: Any) -> bool:
    """Whether a cache entry (written by an older version, perhaps) still passes the checks above."""
    if not isinstance(entry, dict) or not isinstance(entry.get("content"), str):
        return False
    try:
        completion_fields({"choices": [{"message": {"content": entry["content"]},
                                        "finish_reason": entry.get("finish_reason")}],
                           "usage": {k: entry.get(k) for k in ("prompt_tokens", "completion_tokens")}})
    except InvalidResponse:
        return False
    return True
