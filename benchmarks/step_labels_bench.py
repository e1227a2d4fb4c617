"""Precision and recall of step labels per task family, over corrupted symbolic fine traces, and of
the first error of error-injected negatives.

    python benchmarks/step_labels_bench.py [-n 1000] [--negatives-only]

For each registered family: n problems with default knobs, each fine trace with one step's stated
value replaced by a wrong one (an integer nudged, or another problem's value of the same kind), then
`cotsynth.verify.step_labels.label_steps` on the graph and the corrupted steps. A step labelled wrong
at the corrupted index is a true positive, elsewhere a false positive; an unflagged corrupted step is a
false negative. Steps labelled unverifiable count as not flagged.

Negatives (traces/negatives.py), per family with an error model (every registered family today):
for each of n problems, its clean fine trace and one raw injection (a random step and error kind
through the family's error model, before `inject` discards sites its checker does not see first).
Two labellers look for the first wrong step: the symbolic verifier (the family's `check_step` on
each step against the true graph, what labels symbolic records) and the free-text `label_steps`
(what labels teacher traces). A first error reported at the injected step is a true positive;
reported elsewhere, or on a clean trace, a false positive; not reported at the injected step, a
false negative. `usable` is the share of problems that get a negative from `inject` (after its
site filter), `kinds` how many error kinds the raw injections used.
"""

from __future__ import annotations

import argparse
import random
import re

from collections import Counter

from cotsynth import tasks
from cotsynth.tasks.knobs import resolve_knobs
from cotsynth.traces.error_models import error_model
from cotsynth.traces.negatives import inject
from cotsynth.verify.step_labels import label_steps

NUMBER = re.compile(r"-?\d+(/\d+)?")


def wrong_value(right: str, pool: list[str], rng: random.Random) -> str:
    if NUMBER.fullmatch(right) and "/" not in right:
        return str(int(right) + rng.choice([-10, -2, -1, 1, 2, 10]))
    others = [v for v in pool if v != right]
    return rng.choice(others) if others else right + "x"


def measure(family_name: str, n: int, seed: int) -> tuple[float, float, int]:
    family = tasks.get(family_name)
    settings = resolve_knobs(family.knobs, {})
    templates = family.templates()
    problems = [family.build(seed, family_name, i, settings, templates) for i in range(n)]
    pool = [node.output for p in problems for node in p.graph.nodes]
    rng = random.Random(seed)
    tp = fp = fn = 0
    for problem in problems:
        graph = problem.graph
        steps = [node.text for node in graph.nodes]
        index = rng.randrange(len(steps))
        node = graph.nodes[index]
        head, found, tail = steps[index].rpartition(node.output)
        if not found:
            continue
        steps[index] = head + wrong_value(node.output, pool, rng) + tail
        labels = label_steps(graph, steps).labels
        for k, label in enumerate(labels):
            if label is False and k == index:
                tp += 1
            elif label is False:
                fp += 1
            elif k == index:
                fn += 1
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    return precision, recall, tp + fn


def verifier_first_error(family, graph, steps) -> int | None:
    """The first step the family's checker rejects against the true graph (a step stating a node the
    true graph lacks, as a rewrite chain that ran longer, is rejected)."""
    for k, (text, node_id) in enumerate(steps):
        try:
            holds = family.check_step(graph, text, (node_id,))[0]
        except KeyError:
            holds = False
        if not holds:
            return k
    return None


def measure_negatives(family_name: str, n: int, seed: int, free_text: bool = True) -> dict | None:
    """First-error precision and recall of both labellers (the verifier only, without `free_text`)
    over n clean and n injected traces."""
    family = tasks.get(family_name)
    settings, templates = resolve_knobs(family.knobs, {}), family.templates()
    problems = [family.build(seed, family_name, i, settings, templates) for i in range(n)]
    if error_model(family_name, problems[0].graph) is None:
        return None
    rng = random.Random(seed)
    counts = {who: Counter() for who in ("verifier", "label_steps")}
    injected, usable, kinds = 0, 0, set()
    for problem in problems:
        usable += inject(problem, 1, seed) is not None
        graph = problem.graph
        model = error_model(family_name, graph)
        sites = [(k, kind) for k in range(len(graph.nodes)) for kind in model.kinds]
        rng.shuffle(sites)
        wrong, kind = next(((w, kind) for k, kind in sites if (w := model.propagate(graph, k, kind, rng)) is not None),
                           (None, None))
        traces = [(graph.nodes, None)]
        if wrong is not None:
            kinds.add(kind)
            step = next(k for k, (a, b) in enumerate(zip(wrong.nodes, graph.nodes)) if a.text != b.text)
            traces.append((wrong.nodes, step))
            injected += 1
        for nodes, step in traces:
            found = {"verifier": verifier_first_error(family, graph, [(x.text, x.id) for x in nodes])}
            if free_text:
                found["label_steps"] = label_steps(graph, [x.text for x in nodes]).first_wrong
            for who, first in found.items():
                if first is not None and first == step:
                    counts[who]["tp"] += 1
                elif first is not None:
                    counts[who]["fp"] += 1
                if step is not None and first != step:
                    counts[who]["fn"] += 1
    figures = {}
    for who, c in counts.items():
        if not c:
            continue  # a labeller left out
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else float("nan")
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else float("nan")
        figures[who] = (precision, recall)
    figures["injected"], figures["usable"], figures["kinds"] = injected, usable / n, len(kinds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--negatives-only", action="store_true", help="only the first-error table of negatives")
    parser.add_argument("--families", nargs="*", help="only these families (default: every registered one)")
    parser.add_argument("--verifier-only", action="store_true",
                        help="negatives: leave out the free-text labeller (slow on linear_eq: sympy on every step)")
    args = parser.parse_args()
    names = args.families or tasks.names()
    if not args.negatives_only:
        print(f"{'family':<12}{'traces':>8}{'precision':>11}{'recall':>8}")
        for name in names:
            precision, recall, traces = measure(name, args.n, args.seed)
            print(f"{name:<12}{traces:>8}{precision:>11.3f}{recall:>8.3f}")
        print()
    print("first error of injected negatives (verifier: check_step against the graph; label_steps: free text)")
    print(f"{'family':<17}{'injected':>9}{'kinds':>6}{'usable':>8}{'verifier P':>12}{'R':>7}{'label_steps P':>15}{'R':>7}")
    for name in names:
        figures = measure_negatives(name, args.n, args.seed, free_text=not args.verifier_only)
        if figures is None:
            print(f"{name:<17}  no error model")
            continue
        (vp, vr), free = figures["verifier"], figures.get("label_steps")
        free_text = f"{free[0]:>15.3f}{free[1]:>7.3f}" if free else f"{'-':>15}{'-':>7}"
        print(f"{name:<17}{figures['injected']:>9}{figures['kinds']:>6}{figures['usable']:>8.3f}"
              f"{vp:>12.3f}{vr:>7.3f}{free_text}", flush=True)


if __name__ == "__main__":
    main()
