"""`scan`: SCAN commands to action sequences ("jump twice after walk left" -> LTURN WALK JUMP JUMP).

SCAN (Generalization without Systematicity) is the classic compositional-generalization benchmark;
Least-to-Most Prompting solves it by translating the sub-commands first. The step graph is the parse:
primitives, then direction/opposite/around, then twice/thrice, then the conjunctions, so the coarse
CoT (one step per sub-command, then each conjunction) is the least-to-most decomposition and the fine
CoT translates every phrase. SCAN has at most one conjunction; more are read left to right
("walk and jump after run" = run, then "walk and jump"), which extends the grammar for length splits.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Any

from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange

PRIMITIVES = ("walk", "look", "run", "jump", "turn")
MODIFIERS = ("left", "right", "opposite", "around", "twice", "thrice")
CONJUNCTIONS = ("and", "after")
_TURN = {"left": "LTURN", "right": "RTURN"}
_TIMES = {"twice": 2, "thrice": 3}


def interpret(command: str) -> list[str]:
    """The action sequence of a command, parsed from its words alone (the independent solver)."""
    parts: list[list[str]] = [[]]
    joins: list[str] = []
    for word in command.split():
        if word in CONJUNCTIONS:
            joins.append(word)
            parts.append([])
        else:
            parts[-1].append(word)
    actions = _sentence(parts[0])
    for join, part in zip(joins, parts[1:]):
        actions = actions + _sentence(part) if join == "and" else _sentence(part) + actions
    return actions


def _sentence(words: list[str]) -> list[str]:
    times = _TIMES.get(words[-1]) if words else None
    return _verb_phrase(words[:-1] if times else words) * (times or 1)


def _verb_phrase(words: list[str]) -> list[str]:
    if not words or words[0] not in PRIMITIVES or len(words) > 3:
        raise ValueError(f"not a SCAN verb phrase: {' '.join(words)!r}")
    base = [] if words[0] == "turn" else [words[0].upper()]
    if len(words) == 1:
        if not base:
            raise ValueError("`turn` needs a direction")
        return base
    turn = _TURN[words[-1]]
    if len(words) == 2:
        return [turn] + base
    if words[1] == "opposite":
        return [turn, turn] + base
    if words[1] == "around":
        return ([turn] + base) * 4
    raise ValueError(f"unknown modifier {words[1]!r}")


def _node(node_id: str, op: str, inputs: tuple[str, ...], phrase: str, actions: list[str]) -> Node:
    """One translated phrase; its group is set once the subgoals are known."""
    meaning = " ".join(actions)
    return Node(node_id, op, inputs, meaning, f'"{phrase}" means {meaning}.', f'What does "{phrase}" mean?',
                attrs={"phrase": phrase})


@register
class Scan(TaskFamily):
    name = "scan"
    description = "SCAN command-to-action translation with least-to-most decomposition as the CoT."
    answer_type = "sequence"
    knobs = {
        "conjunctions": IntRange("`and`/`after` joins per command (SCAN has 0 or 1)", (0, 1), 0, 8),
        "primitives": Choice("verbs commands may use (`turn` only with a direction)", PRIMITIVES, PRIMITIVES),
        "modifiers": Choice("modifiers commands may use", MODIFIERS, MODIFIERS),
        "connectives": Choice("conjunctions commands may use", CONJUNCTIONS, CONJUNCTIONS),
    }

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        nodes: list[Node] = []
        subgoals: list[Subgoal] = []
        command, last = "", ""
        for part in range(knobs["conjunctions"] + 1):
            join = rng.choice(knobs["connectives"]) if part else ""
            phrase, ref, actions = self._sentence(rng, knobs, part, nodes)
            subgoals.append(Subgoal(len(subgoals), tuple(n.id for n in nodes if n.id.startswith(f"s{part}_")),
                                    nodes[-1].text, nodes[-1].question, nodes[-1].output))
            if not part:
                command, last, total = phrase, ref, actions
                continue
            command = f"{command} {join} {phrase}"
            total = total + actions if join == "and" else actions + total
            nodes.append(_node(f"c{part}", join, (last, ref), command, total))
            subgoals.append(Subgoal(len(subgoals), (nodes[-1].id,), nodes[-1].text, nodes[-1].question,
                                    nodes[-1].output))
            last = REF + nodes[-1].id
        group = {i: s.group for s in subgoals for i in s.node_ids}
        nodes = [replace(n, group=group[n.id]) for n in nodes]
        return Generated(variables={"command": command}, answer=" ".join(total),
                         graph=StepGraph(nodes=nodes, subgoals=subgoals, result=nodes[-1].id),
                         knobs={"command_words": len(command.split())})

    @staticmethod
    def _sentence(rng: random.Random, knobs: dict[str, Any], part: int,
                  nodes: list[Node]) -> tuple[str, str, list[str]]:
        """Draw one sub-command, append its nodes; returns (phrase, ref to its last node, actions)."""
        modifiers = knobs["modifiers"]
        directions = [d for d in ("left", "right") if d in modifiers]
        verbs = [v for v in knobs["primitives"] if v != "turn" or directions]
        if not verbs:
            raise ValueError("`turn` as the only primitive needs `left` or `right` among the modifiers")
        verb = rng.choice(verbs)
        prefix = f"s{part}_"
        ref, phrase, actions = verb, verb, [] if verb == "turn" else [verb.upper()]
        if verb != "turn":
            nodes.append(_node(f"{prefix}p", verb, (verb,), verb, actions))
            ref = REF + nodes[-1].id
        if directions and (verb == "turn" or rng.random() < 0.6):
            direction = rng.choice(directions)
            mode = rng.choice([""] + [m for m in ("opposite", "around") if m in modifiers])
            turn = _TURN[direction]
            actions = {"": [turn] + actions, "opposite": [turn, turn] + actions, "around": ([turn] + actions) * 4}[mode]
            phrase = f"{verb} {mode} {direction}" if mode else f"{verb} {direction}"
            nodes.append(_node(f"{prefix}d", f"{mode}_{direction}" if mode else direction, (ref,), phrase, actions))
            ref = REF + nodes[-1].id
        repeat = rng.choice([""] + [r for r in ("twice", "thrice") if r in modifiers])
        if repeat:
            phrase, actions = f"{phrase} {repeat}", actions * _TIMES[repeat]
            nodes.append(_node(f"{prefix}r", repeat, (ref,), phrase, actions))
            ref = REF + nodes[-1].id
        return phrase, ref, actions

    def recompute_answer(self, graph: StepGraph) -> str:
        return " ".join(interpret(graph.node(graph.result).attrs["phrase"]))

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        phrase = graph.node(node_ids[-1]).attrs["phrase"]
        try:
            expected = f'"{phrase}" means {" ".join(interpret(phrase))}.'
        except ValueError as err:
            return False, str(err)
        if " ".join(step.split()) != expected:
            return False, f"mistranslates; expected: {expected}"
        return True, "translates the phrase"
