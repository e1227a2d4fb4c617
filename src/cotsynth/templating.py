"""The one way cotsynth builds a jinja2 environment: sandboxed, strict about undefined names.

Templates are data a user can supply (a teacher prompt, soon family files), so none may reach
Python internals: `SandboxedEnvironment` refuses `__globals__`, `__subclasses__` and the like at render
time (`jinja2.sandbox.SecurityError`), which `{{ cycler.__init__.__globals__.os.system(...) }}` needs.
"""

from __future__ import annotations

from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment


def environment(**options: Any) -> SandboxedEnvironment:
    """A sandboxed environment; `options` as for `jinja2.Environment` (undefined defaults to strict)."""
    options.setdefault("undefined", jinja2.StrictUndefined)
    return SandboxedEnvironment(**options)
