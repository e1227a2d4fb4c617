"""scan: a modifier expanded wrongly (twice read as thrice and back, left as right and back), a verb
translated as another, an action dropped from a phrase's translation, or `and`/`after` joined in the
wrong order (the compositional slips SCAN models make); every phrase built on the wrong one is
translated from it."""

from __future__ import annotations

import random

from cotsynth.core.graph import Node, StepGraph
from cotsynth.traces.error_models.base import ErrorModel, Restated
from cotsynth.traces.error_models.registry import register

_OTHER = {"twice": "thrice", "thrice": "twice", "left": "right", "right": "left", "and": "after", "after": "and"}


def _actions(value: str) -> list[str]:
    """A phrase's actions; the literal `turn` (a verb with no action of its own) is none."""
    return [] if value == "turn" else value.split()


def _translate(op: str, inputs: tuple[str, ...]) -> list[str]:
    from cotsynth.tasks.families.scan import _TIMES, _TURN, PRIMITIVES

    if op in PRIMITIVES:
        return [op.upper()]
    if op in _TIMES:
        return _actions(inputs[0]) * _TIMES[op]
    if op == "and":
        return _actions(inputs[0]) + _actions(inputs[1])
    if op == "after":
        return _actions(inputs[1]) + _actions(inputs[0])
    mode, _, direction = op.rpartition("_")
    turn, base = _TURN[direction], _actions(inputs[0])
    return {"": [turn] + base, "opposite": [turn, turn] + base, "around": ([turn] + base) * 4}[mode]


def _stated(node: Node, actions: list[str]) -> Restated:
    meaning = " ".join(actions)
    return meaning, f'"{node.attrs["phrase"]}" means {meaning}.'


@register("scan")
class ScanModel(ErrorModel):
    kinds = ("wrong_repeat", "wrong_direction", "dropped_action", "wrong_order", "wrong_primitive")

    def evaluate(self, graph: StepGraph, node: Node, inputs: tuple[str, ...]) -> Restated | None:
        return _stated(node, _translate(node.op, inputs))

    def slip(self, graph: StepGraph, node: Node, inputs: tuple[str, ...], kind: str,
             rng: random.Random) -> Restated | None:
        right = _translate(node.op, inputs)
        mode, _, word = node.op.rpartition("_")
        if kind == "wrong_repeat" and node.op in ("twice", "thrice"):
            wrong = _translate(_OTHER[node.op], inputs)
        elif kind == "wrong_direction" and word in ("left", "right"):
            wrong = _translate(f"{mode}_{_OTHER[word]}" if mode else _OTHER[word], inputs)
        elif kind == "wrong_order" and node.op in ("and", "after"):
            wrong = _translate(_OTHER[node.op], inputs)
        elif kind == "dropped_action" and len(right) > 1:
            k = rng.randrange(len(right))
            wrong = right[:k] + right[k + 1:]
        elif kind == "wrong_primitive" and len(node.inputs) == 1 and node.op == node.inputs[0] != "turn":
            wrong = [rng.choice([v for v in ("WALK", "LOOK", "RUN", "JUMP") if v != right[0]])]
        else:
            return None
        return _stated(node, wrong) if wrong != right else None
