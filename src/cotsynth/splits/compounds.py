"""Compounds of a step graph: its connected sub-graphs of atoms, up to `max_size` nodes.

Size 2 (the default, `StepGraph.compounds`) is every edge as `parent>child` (`mul>add`). Size 3 adds
the three-node connected sub-graphs: chains `a>b>c`, two inputs of one step `{a,b}>c`, one step
feeding two `a>{b,c}`. As in CFQ, a larger compound does not count its sub-compounds again: an edge
is listed only if one of its occurrences lies in no three-node compound of the same problem (in a
problem of three or more connected steps, only its three-node compounds are listed). CFQ weights a
sub-compound by how often it occurs outside its super-compounds across the data set; this is the
same rule per problem, with weights 0 or 1, so compounds stay a plain list per problem.
"""

from __future__ import annotations

from itertools import combinations

from cotsynth.core.graph import StepGraph

DEFINITIONS = {
    2: "edges of the step graph as parent>child atom pairs, unique per problem",
    3: ("connected sub-graphs of 2-3 steps as atoms: chains a>b>c, fan-in {a,b}>c, fan-out a>{b,c}; "
        "an edge is listed only where no 3-step compound of the same problem contains it (CFQ-style "
        "weighting per problem: a compound does not count its sub-compounds again); unique per problem"),
}


def definition(max_size: int) -> dict:
    """What report.json records about the compounds its divergences count."""
    return {"max_size": max_size, "definition": DEFINITIONS[max_size]}


def compounds(graph: StepGraph, max_size: int = 2) -> list[str]:
    """The problem's compounds under the given definition, sorted and unique."""
    if max_size == 2:
        return graph.compounds()
    op = {n.id: n.op for n in graph.nodes}
    edges = graph.edges()
    parents: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    children: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    for src, dst in edges:
        parents[dst].append(src)
        children[src].append(dst)
    found: set[str] = set()
    covered: set[tuple[str, str]] = set()
    for mid in op:
        for a in parents[mid]:
            for c in children[mid]:
                found.add(f"{op[a]}>{op[mid]}>{op[c]}")
                covered |= {(a, mid), (mid, c)}
        for a, b in combinations(parents[mid], 2):
            found.add("{%s}>%s" % (",".join(sorted((op[a], op[b]))), op[mid]))
            covered |= {(a, mid), (b, mid)}
        for b, c in combinations(children[mid], 2):
            found.add("%s>{%s}" % (op[mid], ",".join(sorted((op[b], op[c])))))
            covered |= {(mid, b), (mid, c)}
    found |= {f"{op[s]}>{op[d]}" for s, d in edges if (s, d) not in covered}
    return sorted(found)
