"""Precision and recall of step labels per task family, over corrupted symbolic fine traces.

    python benchmarks/step_labels_bench.py [-n 1000]

For each registered family: n problems with default knobs, each fine trace with one step's stated
value replaced by a wrong one (an integer nudged, or another problem's value of the same kind), then
`cotsynth.verify.step_labels.label_steps` on the graph and the corrupted steps. A step labelled wrong
at the corrupted index is a true positive, elsewhere a false positive; an unflagged corrupted step is a
false negative. Steps labelled unverifiable count as not flagged.
"""

from __future__ import annotations

import argparse
import random
import re

from cotsynth import tasks
from cotsynth.tasks.knobs import resolve_knobs
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=5)
    args = parser.parse_args()
    print(f"{'family':<12}{'traces':>8}{'precision':>11}{'recall':>8}")
    for name in tasks.names():
        precision, recall, traces = measure(name, args.n, args.seed)
        print(f"{name:<12}{traces:>8}{precision:>11.3f}{recall:>8.3f}")


if __name__ == "__main__":
    main()
