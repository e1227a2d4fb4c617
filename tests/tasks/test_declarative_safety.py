"""No text of a family file reaches Python evaluation: expressions are parsed to a syntax tree and
walked; `eval`, `exec`, `compile` (other than to build a syntax tree) and `__import__` of anything
an expression names are never called, whatever the text."""

from __future__ import annotations

import ast
import builtins
import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.tasks.declarative import FamilyFileError, family_from_document
from cotsynth.tasks.declarative.expr import EvalError, Expr, ExprError, evaluate, parse

CANARY = "cotsynth_canary_module"
HOSTILE = [
    f"__import__('{CANARY}')", f"__import__('{CANARY}').x", "eval('1+1')", "exec('x = 1')",
    "compile('1', 'f', 'eval')", "().__class__.__bases__[0].__subclasses__()", "open('/etc/passwd')",
    "(lambda: 1)()", "[x for x in range(3)]", "globals()", "getattr(a, 'b')", "a.b", "a[0]", "f'{a}'",
    "a if b else c", "{1: 2}", "{1, 2}", "(1, 2)", "*a", "a := 1", "await a", "yield a", "b'x'", "'text'",
    "9 ** 9 ** 9", "10 ** 100000", "(((((1)))))", "1 / 0", "a // 0", "a % 0", "0 ** -1", "2 ** 0.5",
    "min()", "round(a, 100)", "abs(a, b)", "max(a, key=b)", "not", "a <", "1e999", "-1e999", "...",
]
TOKENS = HOSTILE + ["a", "b", "c", "1", "2.5", "+", "-", "*", "/", "//", "%", "**", "(", ")", ",", "<", "==",
                    "and", "or", "not", "min(", "max(", "abs(", "round(", "floor(", "ceil(", " ", "__", ".", "[", "]",
                    "'x'", "'a'", " if ", " else ", "text(", "nth(", "position("]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.lists(st.sampled_from(TOKENS), min_size=1, max_size=12).map("".join),
    st.text(max_size=60),
)


class Spy:
    """Wraps the builtins that run code, for the duration of a `with`; records each call that would
    run the text under test (or any code not from a file) and each import of the canary module.
    `compile` may build a syntax tree (PyCF_ONLY_AST, what `ast.parse` does); the infrastructure's
    own calls (pytest importing a module from its file) pass through unrecorded."""

    def __init__(self, text: str = ""):
        self.text = text
        self.calls: list[str] = []
        self._patch = pytest.MonkeyPatch()

    def _runs_untrusted(self, source) -> bool:
        """Source holding the text under test (long enough not to occur by chance in the code that
        dataclasses and jinja generate and run) or the canary, or code compiled without a file name."""
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
        if isinstance(source, str):
            text = self.text.strip()
            return CANARY in source or (len(text) >= 5 and text in source)
        return getattr(source, "co_filename", "") == "<unknown>"

    def __enter__(self) -> "Spy":
        real = {n: getattr(builtins, n) for n in ("__import__", "compile", "eval", "exec")}

        def spy_import(name, *args, **kwargs):
            if name.startswith(CANARY):
                self.calls.append(f"__import__({name})")
            return real["__import__"](name, *args, **kwargs)

        def spy_compile(source, filename, mode, flags=0, *args, **kwargs):
            if not flags & ast.PyCF_ONLY_AST and self._runs_untrusted(source):
                self.calls.append(f"compile({source!r})")
            return real["compile"](source, filename, mode, flags, *args, **kwargs)

        def spy_run(name):
            def call(source, *args, **kwargs):
                if self._runs_untrusted(source):
                    self.calls.append(f"{name}({source!r})")
                    raise AssertionError(f"{name} ran untrusted code")
                return real[name](source, *args, **kwargs)

            return call

        self._patch.setattr(builtins, "__import__", spy_import)
        self._patch.setattr(builtins, "compile", spy_compile)
        self._patch.setattr(builtins, "eval", spy_run("eval"))
        self._patch.setattr(builtins, "exec", spy_run("exec"))
        return self

    def __exit__(self, *exc) -> None:
        self._patch.undo()


def _only_whitelisted(expr: Expr) -> bool:
    return expr.kind in {"num", "str", "name", "bin", "neg", "not", "call", "cmp", "bool", "if"} and all(
        _only_whitelisted(a) for a in expr.args)


@settings(max_examples=400, deadline=None)
@given(text=hostile_text)
def test_no_expression_reaches_python_evaluation(text):
    with Spy(text) as spy:
        try:
            expr = parse(text)
        except ExprError as err:
            assert str(err), "an error says why"
        else:
            assert _only_whitelisted(expr)
            try:
                evaluate(expr, {"a": 3, "b": 4, "c": 5})
            except (EvalError, KeyError):
                pass  # a value that cannot be computed, or a name not bound here: never Python's doing
    assert spy.calls == []


DOCUMENT = {
    "name": "probe_family",
    "variables": {"a": {"int": [1, 9]}, "b": {"int": [1, 9]}},
    "steps": {"c": "a + b"},
    "answer": "c",
    "questions": ["{{ a }} and {{ b }}?"],
}


@settings(max_examples=150, deadline=None)
@given(text=hostile_text, where=st.sampled_from(["steps", "constraints", "bound"]))
def test_no_family_file_text_reaches_python_evaluation(text, where):
    """The same through a whole family document: a step, a constraint or a variable's bound."""
    document = copy.deepcopy(DOCUMENT)
    if where == "steps":
        document["steps"] = {"d": text, "c": "a + b"}
    elif where == "constraints":
        document["constraints"] = [text]
    else:
        document["variables"]["b"] = {"int": [1, text]}
    with Spy(text) as spy:
        try:
            family_from_document(document, "test", probe=True)
        except FamilyFileError as err:
            assert str(err).startswith(("steps.", "constraints[0]", "variables.b")), str(err)
    assert spy.calls == []


def test_the_spy_catches_real_evaluation():
    """The property can fail: evaluating the text the unsafe way, as an evaluator built on `eval`
    or on compile-then-run would, is recorded."""
    with Spy() as spy:
        with pytest.raises(AssertionError):
            eval(f"__import__('{CANARY}')")
        with pytest.raises(ModuleNotFoundError):
            __import__(CANARY)
        code = compile(f"{CANARY} + 1", "<unknown>", "eval")
        with pytest.raises(AssertionError):
            exec(code)
    assert spy.calls == [f"eval(\"__import__('{CANARY}')\")", f"__import__({CANARY})", f"compile('{CANARY} + 1')",
                         f"exec({code!r})"]


def test_huge_powers_are_refused_not_computed():
    for text in ("9 ** 9 ** 9", "10 ** 100000", "2 ** 4097"):
        with pytest.raises((EvalError, ExprError)):
            evaluate(parse(text), {})
