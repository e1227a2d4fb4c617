"""The node-count guard on untrusted expressions skips the count for short sources, on the bound that
a source character makes at most NODES_PER_CHAR syntax nodes: checked here over random sources, and
the guard still refuses a long source with too many nodes."""

import ast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cotsynth.core.arithmetic import MAX_NODES, NODES_PER_CHAR, UnsafeExpression, evaluate, syntax_tree

PYTHONISH = "ab1+-*/<>=~!()[]{},.:;%&|^@'\" fnotlambdaifelse"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=PYTHONISH, min_size=1, max_size=14))
def test_a_character_makes_at_most_nodes_per_char_nodes(source):
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError):
        return
    assert sum(1 for _ in ast.walk(tree)) <= NODES_PER_CHAR * len(source) + 1


def test_the_guard_still_refuses_too_many_nodes():
    source = "+".join(["1"] * (MAX_NODES // 2))  # short of MAX_CHARS, over MAX_NODES
    with pytest.raises(UnsafeExpression, match="syntax nodes"):
        syntax_tree(source)
    assert evaluate("+".join(["1"] * 40)) == 40
