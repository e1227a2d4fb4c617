"""How a rollout prefix reaches a server as the start of the assistant's reply, not as a finished turn.

A chat request ending in an assistant message is a *new* turn on most servers (llama.cpp, OpenAI):
the server closes the message and opens another, so the "continuation" starts over. Two ways work:
- `continue_final_message`: vLLM's (and SGLang's) chat flags `continue_final_message: true,
  add_generation_prompt: false` leave the final assistant message open;
- `completions`: the prompt is rendered here with the model's chat template (the server's, from
  llama.cpp's `/props`, or a configured jinja file; `templating.render_prompt`, sandboxed), ends in
  the prefix and goes to `/v1/completions`, which continues whatever text it is given.
`auto` takes `completions` when a template is configured or the server exposes one, else the flags.
"""

from __future__ import annotations

import asyncio
import json
import urllib.request
from dataclasses import dataclass

from cotsynth.config import TeacherTraces, chat_template_file

CHAT_FLAGS = {"continue_final_message": True, "add_generation_prompt": False}
PROPS_TIMEOUT_S = 10.0


class ContinuationError(ValueError):
    """The teacher cannot continue a reply the way the config asks: the run stops with this one line."""


@dataclass(frozen=True)
class Continuation:
    mode: str  # continue_final_message | completions
    template: str | None = None  # the chat template's source (completions)


def props_url(base_url: str) -> str:
    """llama.cpp serves `/props` beside `/v1`, at the server's root."""
    root = base_url.rstrip("/")
    return (root[: -len("/v1")] if root.endswith("/v1") else root) + "/props"


def server_template(base_url: str) -> str | None:
    """The chat template the server reports at `/props`, or None (no such route, or no template)."""
    try:
        with urllib.request.urlopen(props_url(base_url), timeout=PROPS_TIMEOUT_S) as reply:
            found = json.loads(reply.read(1 << 20)).get("chat_template")
    except (OSError, ValueError, AttributeError):
        return None
    return found if isinstance(found, str) and found.strip() else None


_RESOLVED: dict[tuple[str, str, str | None], Continuation] = {}


async def resolve(spec: TeacherTraces, base_dir: str) -> Continuation:
    """The continuation mode of a teacher, settled once per process and server."""
    mode, path = spec.rollouts.mode, spec.rollouts.chat_template
    key = (spec.endpoint.base_url, mode, path)
    if key not in _RESOLVED:
        template = chat_template_file(path, base_dir).read_text(encoding="utf-8") if path else None
        if template is None and mode != "continue_final_message":
            template = await asyncio.to_thread(server_template, spec.endpoint.base_url)
        if mode == "completions" and template is None:
            raise ContinuationError(f"rollouts.mode `completions` needs a chat template: {props_url(spec.endpoint.base_url)} "
                             "has none; set rollouts.chat_template")
        chosen = "completions" if template is not None and mode != "continue_final_message" else "continue_final_message"
        _RESOLVED[key] = Continuation(chosen, template if chosen == "completions" else None)
    return _RESOLVED[key]
