"""The step graph: the single source from which a problem's answer, CoT, atoms and compounds derive.

Nodes are atomic operations in evaluation order. An input is either a literal value (a string) or a
reference to an earlier node's output, written `@<node id>`; references are the graph's edges. A node's
`group` names the subgoal it belongs to: a `coarse` trace states one step per group, a `fine` trace one
step per node.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

REF = "@"


@dataclass(frozen=True)
class Node:
    id: str
    op: str  # the atom: "add", "mul", "born_in", "rule:2", ...
    inputs: tuple[str, ...]  # literals, or "@<id>" references to earlier nodes
    output: str  # canonical text of the value this node produces
    text: str  # the step as stated in a fine CoT: "12 + 21 = 33"
    question: str  # the step as a sub-question: "What is 12 + 21?"
    group: int = 0  # the subgoal this node serves (coarse granularity)
    attrs: dict[str, Any] = field(default_factory=dict)  # family-specific extras (digits, carries, ...)


@dataclass(frozen=True)
class Subgoal:
    """One coarse step: a group of nodes stated at once."""

    group: int
    node_ids: tuple[str, ...]
    text: str
    question: str
    output: str


@dataclass
class StepGraph:
    nodes: list[Node]
    subgoals: list[Subgoal]
    result: str  # id of the node whose output is the answer
    _positions: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def node(self, node_id: str) -> Node:
        """Through a cached id -> position map, checked on every use and rebuilt when it is stale (a
        family may replace or add nodes): verification looks up a node per step, and rebuilding the
        whole index each time made that quadratic."""
        position = self._positions.get(node_id)
        if position is None or position >= len(self.nodes) or self.nodes[position].id != node_id:
            self._positions = {n.id: k for k, n in enumerate(self.nodes)}
            position = self._positions[node_id]
        return self.nodes[position]

    def _index(self) -> dict[str, Node]:
        return {n.id: n for n in self.nodes}

    def resolve(self, value: str) -> str:
        """An input's value: a literal as is, a reference as the referenced node's output."""
        return self.node(value[1:]).output if value.startswith(REF) else value

    def edges(self) -> list[tuple[str, str]]:
        return [(i[1:], n.id) for n in self.nodes for i in n.inputs if i.startswith(REF)]

    def atoms(self) -> list[str]:
        """The primitive operations used, sorted and unique."""
        return sorted({n.op for n in self.nodes})

    def compounds(self) -> list[str]:
        """Pairs of atoms where one feeds the other (`mul>add`), sorted and unique."""
        index = self._index()
        return sorted({f"{index[src].op}>{index[dst].op}" for src, dst in self.edges()})

    def complexity(self) -> int:
        return len(self.nodes)

    def shape(self) -> str:
        """The graph's structure without values: equal shapes mean equal compositions."""
        order = {n.id: k for k, n in enumerate(self.nodes)}
        parts = []
        for n in self.nodes:
            ins = ",".join(f"#{order[i[1:]]}" if i.startswith(REF) else "v" for i in n.inputs)
            parts.append(f"{n.op}({ins})")
        return ";".join(parts)

    def to_json(self) -> dict[str, Any]:
        # Field by field rather than dataclasses.asdict: this runs once per record and asdict's
        # recursive deep copy was a third of the per-record cost.
        return {
            "nodes": [
                {"id": n.id, "op": n.op, "inputs": list(n.inputs), "output": n.output, "text": n.text,
                 "question": n.question, "group": n.group, "attrs": n.attrs}
                for n in self.nodes
            ],
            "subgoals": [
                {"group": s.group, "node_ids": list(s.node_ids), "text": s.text, "question": s.question, "output": s.output}
                for s in self.subgoals
            ],
            "result": self.result,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "StepGraph":
        nodes = [Node(**(n | {"inputs": tuple(n["inputs"])})) for n in data["nodes"]]
        subgoals = [Subgoal(**(s | {"node_ids": tuple(s["node_ids"])})) for s in data["subgoals"]]
        return cls(nodes=nodes, subgoals=subgoals, result=data["result"])
