"""Text clean-up shared by every tier: bounds, wrappers, LaTeX noise, bracket structure.

Everything here is plain string work on untrusted text, so it is linear-time and never parses
anything; the bounds come first so that no later tier sees a 1 MB string or 10,000 nested brackets.
"""

from __future__ import annotations

import re
import unicodedata

MAX_ANSWER_CHARS = 2_000
MAX_NESTING = 50

_OPEN = "([{"
_CLOSE = ")]}"

_WRAPPERS = (
    (re.compile(r"^\$\$(.*)\$\$$", re.S), 1),
    (re.compile(r"^\$(.*)\$$", re.S), 1),
    (re.compile(r"^\\\((.*)\\\)$", re.S), 1),
    (re.compile(r"^\\\[(.*)\\\]$", re.S), 1),
    (re.compile(r"^\*\*(.*)\*\*$", re.S), 1),
)
_COMMAND_WRAPPERS = ("boxed", "fbox", "text", "textbf", "mathrm", "mbox", "textrm", "mathbf")
_SPACING = re.compile(r"\\[,;:! ]|~|\\left\b|\\right\b|\\displaystyle\b")
_LATEX_ALIASES = (
    (re.compile(r"\\[dt]frac(?![A-Za-z])"), r"\\frac"),
    (re.compile(r"\\le(?![A-Za-z])"), r"\\leq"),
    (re.compile(r"\\ge(?![A-Za-z])"), r"\\geq"),
    (re.compile(r"\\neq?(?![A-Za-z])"), r"\\neq"),
    (re.compile(r"\*\*"), "^"),
    (re.compile(r"(?<![\\A-Za-z])pi\b"), r"\\pi"),
    (re.compile(r"(?<![\\A-Za-z])(?:infinity|inf|oo)\b"), r"\\infty"),
)
_UNICODE = str.maketrans({"−": "-", "–": "-", "×": r"\times ", "·": r"\cdot ", "÷": "/",
                          "π": r"\pi ", "∞": r"\infty ", "√": r"\sqrt", "≤": r"\leq ", "≥": r"\geq "})


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾"
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
_FROM_SUPERSCRIPT = str.maketrans(_SUPERSCRIPTS, "0123456789+-()")


def unicode_normal(text: str) -> str:
    """NFKC, but superscripts first become powers: NFKC alone reads `10²` as `102` and `x²` as `x2`."""
    text = _SUPERSCRIPT_RUN.sub(lambda m: "^{" + m.group(0).translate(_FROM_SUPERSCRIPT) + "}", text)
    return unicodedata.normalize("NFKC", text)


def bounds_problem(text: str) -> str | None:
    """Why `text` is too big or too deep to look at, or None when it is within the caps. Depth is
    counted after normalization, where fullwidth brackets (`（`) have become brackets."""
    if len(text) > MAX_ANSWER_CHARS:
        return f"longer than {MAX_ANSWER_CHARS} characters"
    text = unicode_normal(text)
    if len(text) > 2 * MAX_ANSWER_CHARS:
        return f"longer than {2 * MAX_ANSWER_CHARS} characters after Unicode normalization"
    depth = 0
    for char in text:
        if char in _OPEN:
            depth += 1
            if depth > MAX_NESTING:
                return f"brackets nested deeper than {MAX_NESTING}"
        elif char in _CLOSE:
            depth -= 1
    return None


def strip_wrappers(text: str) -> str:
    """Remove what surrounds an answer without changing it: `$..$`, `\\boxed{}`, `\\text{}`, a final period."""
    previous = None
    text = unicode_normal(text).strip()
    while text != previous:
        previous = text
        text = text.strip().rstrip(".").strip()
        for pattern, group in _WRAPPERS:
            match = pattern.match(text)
            if match:
                text = match.group(group).strip()
        for command in _COMMAND_WRAPPERS:
            inner = _whole_command_argument(text, command)
            if inner is not None:
                text = inner.strip()
    return text


def _whole_command_argument(text: str, command: str) -> str | None:
    """The argument of `\\command{...}` when that call is the whole text."""
    head = "\\" + command + "{"
    if not text.startswith(head) or not text.endswith("}"):
        return None
    end = matching_close(text, len(head) - 1)
    return text[len(head):-1] if end == len(text) - 1 else None


def matching_close(text: str, start: int) -> int | None:
    """Index of the bracket closing the one at `start`, or None."""
    depth = 0
    for index in range(start, len(text)):
        char = text[index]
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth == 0:
                return index
    return None


def clean_math(text: str) -> str:
    """LaTeX spelled one way: no spacing commands or `\\left`, `\\dfrac` as `\\frac`, `**` as `^`, ..."""
    text = text.translate(_UNICODE)
    text = _SPACING.sub(" ", text)
    for pattern, replacement in _LATEX_ALIASES:
        text = pattern.sub(replacement, text)
    return re.sub(r"\s+", " ", text).strip()


def compact(text: str) -> str:
    """Math text without any whitespace: what a string-equality tier compares."""
    return re.sub(r"\s+", "", text)


def canonical_text(text: str) -> str:
    """A plain-string answer (entity, action sequence) compared case- and spacing-insensitively."""
    text = unicode_normal(text).casefold()
    text = text.strip().strip("\"'`").strip()
    text = re.sub(r"[.!?;]+$", "", text)
    return re.sub(r"\s+", " ", text).strip()


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split on `separator` where it is not inside brackets (`(1,2), 3` -> [`(1,2)`, `3`])."""
    parts, depth, start = [], 0, 0
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1:index + 2] in ("{", "}"):
            depth += 1 if text[index + 1] == "{" else -1
            index += 2
            continue
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:index].strip())
            start = index + 1
        index += 1
    parts.append(text[start:].strip())
    return parts


def enclosure(text: str) -> tuple[str, str, str] | None:
    """(opening, inside, closing) when one bracket pair encloses the whole text: `(`, `[`, `\\{`."""
    if text.startswith("\\{") and text.endswith("\\}"):
        inner = text[2:-2]
        return ("\\{", inner, "\\}") if _balanced(inner) else None
    if len(text) < 2 or text[0] not in "([" or text[-1] not in ")]":
        return None
    inner = text[1:-1]
    return (text[0], inner, text[-1]) if _balanced(inner) else None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        if char in _OPEN:
            depth += 1
        elif char in _CLOSE:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0
