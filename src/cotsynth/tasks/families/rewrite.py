"""`rewrite`: string rewriting by an ordered rule set, Markov-algorithm style.

Instruction Diversity Drives Generalization and Only-IF find that what generalizes is the number of
distinct instructions (rule sets) and domains seen, not examples per instruction; `rule_sets` sets
how many distinct rule sets a task draws from and `domain` how the rules are worded. A step applies
the first rule (in order) whose left side occurs in the string, at its leftmost occurrence; the run
stops when no rule applies or after `max_steps` steps. Rules never lengthen the string and a
same-length rule makes it alphabetically smaller, so every run terminates (shortlex order decreases).
Atoms are rule positions (`rule:2`, the second rule of its set) and `halt`: rule contents differ per
rule set, positions are what every set shares, so unseen rule sets still have seen atoms.
"""

from __future__ import annotations

import math
import random
from dataclasses import replace
from functools import lru_cache
from typing import Any

from cotsynth.core.seeding import rng_for
from cotsynth.tasks import register
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.core.graph import REF, Node, StepGraph, Subgoal
from cotsynth.tasks.knobs import Choice, IntRange

DOMAINS = ("formal", "natural", "code")
ALPHABET = "abcdefghijklmnopqrstuvwxyz"
Rule = tuple[str, str]


@lru_cache(maxsize=4096)
def rule_set(rule_seed: int, alphabet: int, rules: int, index: int) -> tuple[Rule, ...]:
    """Rule set `index` of the family of rule sets fixed by (rule_seed, alphabet, rules)."""
    rng = rng_for("rewrite-rules", rule_seed, alphabet, rules, index)
    letters = ALPHABET[:alphabet]
    found: list[Rule] = []
    while len(found) < rules:
        lhs = "".join(rng.choice(letters) for _ in range(rng.choice((1, 2, 2, 3))))
        rhs = "".join(rng.choice(letters) for _ in range(rng.randint(1, len(lhs))))
        if (len(rhs) < len(lhs) or rhs < lhs) and lhs not in {l for l, _ in found}:
            found.append((lhs, rhs))
    return tuple(found)


_DISTINCT: dict[tuple[int, int, int], tuple[list, set, list]] = {}  # family -> (sets, seen, [next index, last new])


_EXHAUSTED_AFTER = 5_000  # draws in a row without a new rule set: the alphabet has no more


class RuleSetsExhausted(ValueError):
    """More distinct rule sets asked than (rule_seed, alphabet, rules) can make."""


def distinct_rule_set(rule_seed: int, alphabet: int, rules: int, number: int) -> tuple[Rule, ...]:
    """Rule set `number` of the family's list of rule sets that differ in content (rule_set indices 0, 1,
    ... with repeats skipped; grown as far as asked and kept per process); RuleSetsExhausted when
    the alphabet cannot make that many."""
    found, seen, cursor = _DISTINCT.setdefault((rule_seed, alphabet, rules), ([], set(), [0, 0]))
    while len(found) <= number:
        if cursor[0] - cursor[1] >= _EXHAUSTED_AFTER:
            raise RuleSetsExhausted(f"only {len(found)} distinct rule sets of {rules} rules over {alphabet} letters "
                                    f"exist (rule_seed {rule_seed}); rule set {number} was asked")
        candidate = rule_set(rule_seed, alphabet, rules, cursor[0])
        cursor[0] += 1
        if candidate not in seen:
            seen.add(candidate)
            found.append(candidate)
            cursor[1] = cursor[0]
    return found[number]


def start_string(rule_seed: int, set_number: int, alphabet: int, length: int, slot: int) -> str | None:
    """The `slot`-th input of a rule set at `length`, by a seeded bijection of [0, alphabet^length)
    (slots give distinct strings), or None once the slots exceed the strings."""
    size = alphabet ** length
    if slot >= size:
        return None
    rng = rng_for("rewrite-input", rule_seed, alphabet, set_number, length)
    scale = next(a for a in iter(lambda: rng.randrange(1, size + 1), None) if math.gcd(a, alphabet) == 1)
    value = (scale * slot + rng.randrange(size)) % size
    letters = []
    for _ in range(length):
        value, digit = divmod(value, alphabet)
        letters.append(ALPHABET[digit])
    return "".join(letters)


def first_match(rules: tuple[Rule, ...] | list[list[str]], text: str) -> tuple[int, int] | None:
    """(rule number from 1, position from 1) of the Markov step on `text`, or None if none applies."""
    for number, (lhs, _rhs) in enumerate(rules, start=1):
        position = text.find(lhs)
        if position >= 0:
            return number, position + 1
    return None


def apply(rules: tuple[Rule, ...] | list[list[str]], number: int, position: int, text: str) -> str:
    lhs, rhs = rules[number - 1]
    return text[:position - 1] + rhs + text[position - 1 + len(lhs):]


def step_text(rules: Any, number: int, position: int, before: str, after: str) -> str:
    lhs, rhs = rules[number - 1]
    return f"Rule {number} ({lhs} -> {rhs}) applies at position {position}: {before} -> {after}"


def run_text(rules: Any, number: int, count: int, before: str, after: str) -> str:
    lhs, rhs = rules[number - 1]
    return f"Rule {number} ({lhs} -> {rhs}) applies {count} times in a row: {before} -> {after}"


def halt_text(text: str, reason: str, max_steps: int) -> str:
    if reason == "limit":
        return f"The limit of {max_steps} steps is reached, so the result is {text}."
    return f"No rule applies to {text}, so the result is {text}."


def render_rules(rules: tuple[Rule, ...], domain: str) -> str:
    """The rule list as the question words it: the instruction `domain`."""
    lines = []
    for number, (lhs, rhs) in enumerate(rules, start=1):
        if domain == "formal":
            lines.append(f"{number}. {lhs} -> {rhs}")
        elif domain == "natural":
            lines.append(f"Rule {number}: replace the leftmost '{lhs}' with '{rhs}'.")
        else:
            lines.append(f'rule_{number} = ("{lhs}", "{rhs}")  # s.replace("{lhs}", "{rhs}", 1)')
    return "\n".join(lines)


@register
class Rewrite(TaskFamily):
    name = "rewrite"
    description = "Markov-algorithm string rewriting with an ordered rule set; one step per rule application."
    answer_type = "string"
    knobs = {
        "alphabet": IntRange("letters the strings use (a, b, c, ...)", (3, 3), 2, 26),
        "rules": IntRange("rules per rule set", (3, 5), 1, 12),
        "length": IntRange("length of the input string", (5, 8), 1, 60),
        "max_steps": IntRange("step limit: the run stops after this many rule applications", (12, 12), 1, 200),
        "rule_sets": IntRange("how many distinct rule sets exist per rule count (instruction diversity: few vs many)",
                              (100, 100), 1, 10**9),
        "rule_seed": IntRange("seed of the family of rule sets, shared by every example", (0, 0), 0, 2**31 - 1),
        "rule_offset": IntRange("first rule set used, in the family's list of distinct rule sets (tasks with "
                                "disjoint [offset, offset + rule_sets) ranges share no rule set)", (0, 0), 0, 10**9),
        "domain": Choice("how the rules are worded: formal `ab -> c`, natural language, or code-like",
                         DOMAINS, DOMAINS),
    }

    def knob_problems(self, knobs: dict[str, Any], count: int) -> list[str]:
        """Every (rule_seed end, alphabet, rules) the ranges allow must make the rule sets asked."""
        last = knobs["rule_offset"][1] + min(knobs["rule_sets"][1], count) - 1
        for seed in sorted(set(knobs["rule_seed"])):
            for alphabet in range(knobs["alphabet"][0], knobs["alphabet"][1] + 1):
                for rules in range(knobs["rules"][0], knobs["rules"][1] + 1):
                    try:
                        distinct_rule_set(seed, alphabet, rules, last)
                    except RuleSetsExhausted as err:
                        return [f"rule_sets: {err} (rule_offset + rule_sets, or count, too large for the alphabet)"]
        return []

    def generate(self, rng: random.Random, knobs: dict[str, Any]) -> Generated:
        return self.generate_at(rng, knobs, None)

    def generate_at(self, rng: random.Random, knobs: dict[str, Any], index: int | None) -> Generated:
        count = knobs["rule_sets"]
        position = rng.randrange(count) if index is None else index % count
        set_index = knobs["rule_offset"] + position
        rules = distinct_rule_set(knobs["rule_seed"], knobs["alphabet"], knobs["rules"], set_index)
        domain = rng.choice(knobs["domain"])
        start = None if index is None else start_string(knobs["rule_seed"], set_index, knobs["alphabet"],
                                                        knobs["length"], index // count)
        start = start or "".join(rng.choice(ALPHABET[:knobs["alphabet"]]) for _ in range(knobs["length"]))
        limit = knobs["max_steps"]
        nodes: list[Node] = []
        text = start
        while len(nodes) < limit and (match := first_match(rules, text)):
            number, position = match
            after = apply(rules, number, position, text)
            nodes.append(Node(f"r{len(nodes)}", f"rule:{number}", (REF + nodes[-1].id if nodes else text,), after,
                              step_text(rules, number, position, text, after),
                              f"Which rule applies first to {text}, and what does it give?", 0,
                              {"rule": number, "position": position}))
            text = after
        reason = "limit" if first_match(rules, text) else "none"
        nodes.append(Node("halt", "halt", (REF + nodes[-1].id if nodes else text,), text,
                          halt_text(text, reason, limit), f"Does any rule apply to {text}?", 0,
                          {"rules": [list(r) for r in rules], "max_steps": limit, "reason": reason}))
        subgoals = _runs(nodes, rules)
        group = {i: s.group for s in subgoals for i in s.node_ids}
        graph = StepGraph([replace(n, group=group[n.id]) for n in nodes], subgoals, result="halt")
        return Generated(
            variables={"input": start, "rules": render_rules(rules, domain), "max_steps": limit, "domain": domain},
            answer=text,
            graph=graph,
            knobs={"domain": domain, "rule_set": set_index, "steps_taken": len(nodes) - 1},
        )

    def recompute_answer(self, graph: StepGraph) -> str:
        halt = graph.node(graph.result)
        rules, limit = halt.attrs["rules"], halt.attrs["max_steps"]
        first = graph.nodes[0]
        text = first.inputs[0]
        for _ in range(limit):
            match = first_match(rules, text)
            if match is None:
                break
            text = apply(rules, *match, text)
        return text

    def check_step(self, graph: StepGraph, step: str, node_ids: tuple[str, ...]) -> tuple[bool, str]:
        if len(node_ids) > 1 and node_ids[-1] == graph.result:  # the last run and the halt, one coarse step
            run, found, halt = step.strip().rpartition(". ")
            if not found:
                return False, "states the last rewriting and the halt without a sentence between them"
            holds, reason = self.check_step(graph, run, node_ids[:-1])
            return self.check_step(graph, halt, node_ids[-1:]) if holds else (holds, reason)
        halt = graph.node(graph.result)
        rules, limit = halt.attrs["rules"], halt.attrs["max_steps"]
        first = graph.node(node_ids[0])
        before = graph.resolve(first.inputs[0])
        if first.op == "halt":
            applies = first_match(rules, before) is not None
            if applies and len(graph.nodes) - 1 < limit:
                return False, f"a rule still applies to {before}"
            expected = halt_text(before, "limit" if applies else "none", limit)
        else:
            text, numbers = before, []
            for _ in node_ids:
                match = first_match(rules, text)
                if match is None:
                    return False, f"no rule applies to {text}"
                numbers.append(match[0])
                last = (match, text)
                text = apply(rules, *match, text)
            if len(set(numbers)) != 1:
                return False, f"the steps apply rules {numbers}, not one rule"
            (number, position), previous = last
            expected = step_text(rules, number, position, previous, text) if len(node_ids) == 1 \
                else run_text(rules, number, len(node_ids), before, text)
        if " ".join(step.split()) != expected:
            return False, f"is not the Markov step; expected: {expected}"
        return True, "the named rule applies there"


def _runs(nodes: list[Node], rules: tuple[Rule, ...]) -> list[Subgoal]:
    """Coarse steps: each run of consecutive applications of one rule; the halt is stated with the
    last run (`... -> ccba. No rule applies to ccba, ...`), so coarse never restates fine."""
    subgoals: list[Subgoal] = []
    start = 0
    while start < len(nodes) - 1:
        end = start
        while end + 1 < len(nodes) - 1 and nodes[end + 1].attrs["rule"] == nodes[start].attrs["rule"]:
            end += 1
        run = nodes[start:end + 1]
        before = nodes[start - 1].output if start else nodes[0].inputs[0]
        text = run[0].text if len(run) == 1 else run_text(rules, run[0].attrs["rule"], len(run), before, run[-1].output)
        subgoals.append(Subgoal(len(subgoals), tuple(n.id for n in run), text,
                                f"What do the applications of rule {run[0].attrs['rule']} give from {before}?",
                                run[-1].output))
        start = end + 1
    halt = nodes[-1]
    if not subgoals:
        return [Subgoal(0, (halt.id,), halt.text, halt.question, halt.output)]
    last = subgoals.pop()
    subgoals.append(Subgoal(last.group, (*last.node_ids, halt.id), f"{last.text}. {halt.text}",
                            f"{last.question} Does any rule apply then?", halt.output))
    return subgoals
