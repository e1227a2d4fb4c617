"""The one way cotsynth builds a jinja2 environment: sandboxed, strict about undefined names.

Templates are data a user can supply (a teacher prompt, soon family files), so none may reach
Python internals: `SandboxedEnvironment` refuses `__globals__`, `__subclasses__` and the like at render
time (`jinja2.sandbox.SecurityError`), which `{{ cycler.__init__.__globals__.os.system(...) }}` needs.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment


def environment(**options: Any) -> SandboxedEnvironment:
    """A sandboxed environment; `options` as for `jinja2.Environment` (undefined defaults to strict)."""
    options.setdefault("undefined", jinja2.StrictUndefined)
    return SandboxedEnvironment(**options)


@lru_cache(maxsize=None)
def template_module(path: str) -> Any:
    """A template file's macros (a teacher prompt defines `system` and `user`)."""
    env = environment(loader=jinja2.FileSystemLoader(str(Path(path).parent)))
    return env.get_template(Path(path).name).module


def _raise(message: str) -> None:
    raise jinja2.TemplateError(message)


@lru_cache(maxsize=8)
def chat_template(source: str) -> jinja2.Template:
    """A model's chat template as Hugging Face renders them (trim_blocks, lstrip_blocks, loop
    controls, `raise_exception`), sandboxed: it comes from a server or a user's file."""
    env = environment(undefined=jinja2.Undefined, trim_blocks=True, lstrip_blocks=True,
                      extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = _raise
    return env.from_string(source)


def render_prompt(template: str, messages: list[dict[str, str]]) -> str:
    """The chat rendered up to the end of its final (assistant) message, left open to be continued.

    As transformers' `continue_final_message`: render the whole chat without a generation prompt and
    cut right after the final message's text (templates may trim it, so its stripped text is sought
    and its trailing whitespace put back)."""
    rendered = chat_template(template).render(messages=messages, add_generation_prompt=False,
                                              bos_token="", eos_token="")
    final = messages[-1]["content"]
    core = final.rstrip()
    at = rendered.rfind(core)
    if not core or at < 0:
        raise ValueError("the chat template does not render the final assistant message's text")
    return rendered[: at + len(core)] + final[len(core):]


def check_template(path: Path) -> None:
    """Render a teacher prompt's two macros once on a blank problem, so a broken or unsafe template
    (one reaching for Python internals: `jinja2.sandbox.SecurityError`) is a config error, not a crash
    mid-run."""
    module = template_module(str(path))
    for name in ("system", "user"):
        if not callable(getattr(module, name, None)):
            raise jinja2.TemplateError(f"defines no `{name}` macro")
    module.system()
    module.user("", [])
