"""Per-family models of the mistakes models make, for error-injected negatives (traces/negatives.py).

An error model says, for one graph node, how a step can go wrong (`slip`) and how a node recomputes
its value from inputs that may already be wrong (`evaluate`), each returning the value and the step's
text. The kinds follow the error types reported for LLM reasoning: arithmetic slips (carry and borrow
errors, Faith and Fate; calculation errors, GSM8K/PRM800K/ProcessBench taxonomies), copy errors that
misread an operand, sign errors, a wrong operation or rule applied, a wrong fact recalled in
knowledge chains (the hallucinated hop), and a rule applied at the wrong position.

`ArithmeticModel` works on any graph whose nodes are binary `add`/`sub`/`mul`/`div` (arith,
countdown, declarative families): that is the graph-generic fallback. Other families register their
own model by name; a family with neither has no negatives (the config says so).
"""

from __future__ import annotations

import random
import re
from dataclasses import replace
from fractions import Fraction

from cotsynth.core.graph import REF, Node, StepGraph
from cotsynth.core.arithmetic import format_fraction

Restated = tuple[str, str]  # (the value the step states, the step's text)

_ARITHMETIC = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b if b else None,
}
_WRONG_OPERATION = {"add": ("sub", "mul"), "sub": ("add",), "mul": ("add",), "div": ("mul",)}
_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _token(value: str) -> str:
    """A value as a whole token: not glued to letters, digits, a decimal point or a fraction bar."""
    return rf"(?<![\w./]){re.escape(value)}(?![\w/]|\.\d)"


def substitute(text: str, old_inputs: tuple[str, ...], new_inputs: tuple[str, ...], old_output: str,
               new_output: str) -> str | None:
    """A step's text with changed values put in: the last mention of the output, then each changed
    input's first mention before it. None when a value is not found where it should be (the text is
    then not a plain statement of its node, and the node is not a place to inject an error)."""
    outputs = list(re.finditer(_token(old_output), text)) if old_output else []
    if old_output != new_output:
        if not outputs:
            return None
        last = outputs[-1]
        head, tail = text[: last.start()], new_output + text[last.end():]
    else:
        head, tail = text, ""
    for old, new in zip(old_inputs, new_inputs):
        if old == new:
            continue
        found = re.search(_token(old), head)
        if found is None:
            return None
        start, end = found.start(), found.end()
        if _is_number(new) and head[start - 1: start] == "(" and head[end: end + 1] == ")":
            start, end = start - 1, end + 1  # an operand bracketed for its sign: bracket the new one anew
        value = f"({new})" if _is_number(new) and (new.startswith("-") or "/" in new) else new
        head = head[:start] + value + head[end:]
    return head + tail


def _is_number(text: str) -> bool:
    return re.fullmatch(r"-?\d+(?:/\d+)?", text) is not None


def _number(text: str) -> Fraction | None:
    return Fraction(text) if _is_number(text) else None


class ErrorModel:
    """The mistakes a family's steps can carry. Subclasses set `kinds` and implement both methods."""

    kinds: tuple[str, ...] = ()

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        """The node done wrong in the way `kind` says, reading `inputs`; None where `kind` cannot occur."""
        raise NotImplementedError

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        """The node done right from (possibly wrong) inputs; None when it has no value from them."""
        raise NotImplementedError

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        """The graph with node `step` slipped and every later node that reads a changed value
        recomputed from it (the graph-generic part); None when the error cannot happen there or does
        not reach the answer."""
        values = {n.id: n.output for n in graph.nodes}
        nodes = list(graph.nodes)
        changed: set[str] = set()
        for k, node in enumerate(graph.nodes[step:], start=step):
            inputs = tuple(values[i[1:]] if i.startswith(REF) else i for i in node.inputs)
            if k == step:
                stated = self.slip(graph, node, inputs, kind, rng)
            elif any(i.startswith(REF) and i[1:] in changed for i in node.inputs):
                stated = self.evaluate(graph, node, inputs)
            else:
                continue
            if stated is None:
                return None
            output, text = stated
            if output != node.output:
                changed.add(node.id)
            values[node.id] = output
            nodes[k] = replace(node, output=output, text=text)
        return StepGraph(nodes=nodes, subgoals=[], result=graph.result) if graph.result in changed else None


class ArithmeticModel(ErrorModel):
    """Binary arithmetic nodes: calculation slips, a misread operand, a sign error, a wrong operation."""

    kinds = ("carry_slip", "borrow_slip", "operand_misread", "sign_error", "wrong_operation")

    @staticmethod
    def handles(graph: StepGraph) -> bool:
        return all(n.op in _ARITHMETIC and len(n.inputs) == 2 for n in graph.nodes)

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        return self._stated(graph, node, inputs, node.op)

    def _stated(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], op: str,
                value: Fraction | None = None) -> Restated | None:
        a, b = (_number(v) for v in inputs)
        if a is None or b is None:
            return None
        if value is None:
            value = _ARITHMETIC[op](a, b)
            if value is None:
                return None
        output = format_fraction(value)
        old_inputs = tuple(graph.resolve(i) for i in node.inputs)
        text = substitute(node.text, old_inputs, inputs, node.output, output)
        if text is not None and op != node.op:
            text = re.sub(rf"\s{re.escape(_SYMBOLS[node.op])}\s", f" {_SYMBOLS[op]} ", text, count=1)
        return (output, text) if text is not None else None

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        a, b = (_number(v) for v in inputs)
        if a is None or b is None:
            return None
        right = _ARITHMETIC[node.op](a, b)
        if right is None:
            return None
        if kind == "carry_slip" and node.op in ("add", "mul"):
            places = _carry_places(a, b) if node.op == "add" else _places(right)
            return self._shifted(graph, node, inputs, right, places, -1 if node.op == "add" else rng.choice((-1, 1)), rng)
        if kind == "borrow_slip" and node.op == "sub":
            return self._shifted(graph, node, inputs, right, _carry_places(right, b) if a >= b >= 0 else [], 1, rng)
        if kind == "sign_error" and right != 0:
            return self._stated(graph, node, inputs, node.op, -right)
        if kind == "wrong_operation":
            op = rng.choice(_WRONG_OPERATION[node.op])
            stated = self._stated(graph, node, inputs, op)
            return stated if stated and _number(stated[0]) != right else None
        if kind == "operand_misread":
            position = rng.randrange(2)
            misread = _misread(inputs[position], rng)
            if misread is None:
                return None
            read = tuple(misread if k == position else v for k, v in enumerate(inputs))
            stated = self._stated(graph, node, read, node.op)
            return stated if stated and _number(stated[0]) != right else None
        return None

    def _shifted(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], right: Fraction, places: list[int],
                 sign: int, rng: random.Random) -> Restated | None:
        if not places or right.denominator != 1:
            return None
        return self._stated(graph, node, inputs, node.op, right + sign * 10 ** rng.choice(places))


def _carry_places(a: Fraction, b: Fraction) -> list[int]:
    """Powers of ten that received a carry when adding the integers a and b (digit by digit)."""
    if a.denominator != 1 or b.denominator != 1 or a < 0 or b < 0:
        return []
    places, carry, x, y, place = [], 0, int(a), int(b), 1
    while x or y:
        carry = (x % 10 + y % 10 + carry) // 10
        x, y = x // 10, y // 10
        if carry:
            places.append(place)
        place += 1
    return places


def _places(value: Fraction) -> list[int]:
    """Powers of ten of the digits of an integer result but its last one (a slip in a carried digit)."""
    if value.denominator != 1:
        return []
    return list(range(1, len(str(abs(int(value))))))


def _misread(value: str, rng: random.Random) -> str | None:
    """A copy error: one digit of an integer read one higher or lower (never a new leading zero)."""
    number = _number(value)
    if number is None or number.denominator != 1:
        return None
    digits = list(str(abs(int(number))))
    k = rng.randrange(len(digits))
    options = [d for d in (int(digits[k]) - 1, int(digits[k]) + 1) if 0 <= d <= 9 and not (k == 0 and d == 0 and len(digits) > 1)]
    if not options:
        return None
    digits[k] = str(rng.choice(options))
    return ("-" if number < 0 else "") + "".join(digits)


class TwoHopModel(ErrorModel):
    """A wrong table entry recalled: another token's row (`neighbour_row`) or any wrong token."""

    kinds = ("wrong_fact", "neighbour_row")

    def _table(self, graph: StepGraph) -> tuple[int, int]:
        attrs = graph.nodes[0].attrs
        return attrs["table_seed"], attrs["tokens"]

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.families.two_hop import lookup

        output = lookup(*self._table(graph), node.op, *inputs)
        return output, f"{node.op}({inputs[0]}, {inputs[1]}) = {output}"

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.families.two_hop import lookup, token, token_index

        seed, n = self._table(graph)
        right = lookup(seed, n, node.op, *inputs)
        if kind == "neighbour_row":
            row = token((token_index(inputs[0], n) + rng.choice((-1, 1))) % n, n)
            output = lookup(seed, n, node.op, row, inputs[1])
        else:
            output = token(rng.randrange(n), n)
        if output == right:
            return None
        return output, f"{node.op}({inputs[0]}, {inputs[1]}) = {output}"


class KnowledgeChainModel(ErrorModel):
    """A hop of a KG chain that recalls the wrong fact: another relation's tail (`wrong_relation`) or
    a person who is not the tail (`wrong_entity`); later hops follow the KG from the wrong person."""

    kinds = ("wrong_relation", "wrong_entity")

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.kg import kg_of

        output = kg_of(graph).facts.get((inputs[0], node.op))
        return self._stated(graph, node, inputs, output) if output is not None else None

    def _stated(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], output: str) -> Restated | None:
        text = substitute(node.text, tuple(graph.resolve(i) for i in node.inputs), inputs, node.output, output)
        return (output, text) if text is not None else None

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.kg import kg_of

        kg = kg_of(graph)
        right = kg.facts.get((inputs[0], node.op))
        if kind == "wrong_relation":
            tails = sorted({kg.facts[(inputs[0], r.name)] for r in kg.relations if (inputs[0], r.name) in kg.facts}
                           - {right})
        else:
            tails = [e for e in kg.entities if e not in (right, inputs[0])]
        if not tails:
            return None
        return self._stated(graph, node, inputs, rng.choice(tails))


class RewriteModel(ErrorModel):
    """A Markov step that applies a later rule that also fits (`wrong_rule`), the first rule at a
    later place where it fits (`wrong_position`), or stops while a rule still fits (`early_halt`);
    after a wrong rewrite the later steps rewrite the wrong string correctly."""

    kinds = ("wrong_rule", "wrong_position", "early_halt")

    @staticmethod
    def _rules(graph: StepGraph) -> tuple[list[list[str]], int]:
        halt = graph.node(graph.result)
        return halt.attrs["rules"], halt.attrs["max_steps"]

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        from cotsynth.tasks.families.rewrite import apply, first_match, halt_text, step_text

        rules, limit = self._rules(graph)
        before = inputs[0]
        match = first_match(rules, before)
        if node.op == "halt":
            if match is not None and len(graph.nodes) - 1 < limit:
                return None  # the wrong string would not halt here
            return before, halt_text(before, "limit" if match else "none", limit)
        if match is None:
            return None
        after = apply(rules, *match, before)
        return after, step_text(rules, *match, before, after)

    def propagate(self, graph: StepGraph, step: int, kind: str, rng: random.Random) -> StepGraph | None:
        """After the wrong step the machine runs on from the wrong string, so the chain may get
        longer or shorter than the right one: the later steps are rebuilt, not mapped node to node."""
        from cotsynth.tasks.families.rewrite import first_match, halt_text

        rules, limit = self._rules(graph)
        node, halt = graph.nodes[step], graph.node(graph.result)
        if node.op == "halt":
            return None
        before = graph.resolve(node.inputs[0])
        if kind == "early_halt":  # stops as if no rule fitted: the wrong check of the rule list
            stopped = replace(halt, inputs=node.inputs, output=before, text=halt_text(before, "none", limit))
            return StepGraph(nodes=[*graph.nodes[:step], stopped], subgoals=[], result=halt.id)
        stated = self.slip(graph, node, (before,), kind, rng)
        if stated is None:
            return None
        nodes = [*graph.nodes[:step], replace(node, output=stated[0], text=stated[1])]
        while True:
            text = nodes[-1].output
            ref = (REF + nodes[-1].id,)
            match = first_match(rules, text)
            if match is None or len(nodes) >= limit:
                reason = "limit" if match else "none"
                nodes.append(replace(halt, inputs=ref, output=text, text=halt_text(text, reason, limit)))
                return StepGraph(nodes=nodes, subgoals=[], result=halt.id)
            number = match[0]
            output, line = self.evaluate(graph, node, (text,))
            nodes.append(replace(node, id=f"r{len(nodes)}", op=f"rule:{number}", inputs=ref, output=output, text=line,
                                 attrs={"rule": number, "position": match[1]}))

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        from cotsynth.tasks.families.rewrite import apply, first_match, step_text

        rules, _ = self._rules(graph)
        before = inputs[0]
        if node.op == "halt" or first_match(rules, before) is None:
            return None
        number, position = first_match(rules, before)
        if kind == "wrong_rule":
            options = [(k, before.find(lhs) + 1) for k, (lhs, _) in enumerate(rules, start=1)
                       if k > number and lhs in before]
        else:
            lhs = rules[number - 1][0]
            options = [(number, p + 1) for p in range(position, len(before)) if before.startswith(lhs, p)]
        right = apply(rules, number, position, before)
        options = [o for o in options if apply(rules, *o, before) != right]
        if not options:
            return None
        chosen = rng.choice(options)
        after = apply(rules, *chosen, before)
        return after, step_text(rules, *chosen, before, after)


_ARITHMETIC_MODEL = ArithmeticModel()
_MODELS: dict[str, ErrorModel] = {
    "arith": _ARITHMETIC_MODEL,
    "countdown": _ARITHMETIC_MODEL,
    "two_hop": TwoHopModel(),
    "kg_compose": KnowledgeChainModel(),
    "rewrite": RewriteModel(),
}


def error_model(family: str, graph: StepGraph | None = None) -> ErrorModel | None:
    """The family's model; else the arithmetic one when every node of `graph` is binary arithmetic."""
    if family in _MODELS:
        return _MODELS[family]
    if graph is not None and ArithmeticModel.handles(graph):
        return _ARITHMETIC_MODEL
    return None
