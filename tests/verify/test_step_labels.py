"""The labeller finds the one corrupted step of a fine trace; precision/recall over 1,000 traces."""

import random

from cotsynth.core.graph import StepGraph
from cotsynth.verify.step_labels import label_steps

from step_corpus import arith_graph, corpus, kg_graph


def test_clean_traces_are_all_correct():
    rng = random.Random(1)
    for _ in range(100):
        graph = arith_graph(rng) if rng.random() < 0.5 else kg_graph(rng)
        result = label_steps(graph, [n.text for n in graph.nodes])
        assert result.labels == [True] * len(graph.nodes), result.reasons
        assert result.first_wrong is None


def test_graph_survives_json_round_trip():
    graph = arith_graph(random.Random(3))
    again = StepGraph.from_json(graph.to_json())
    assert label_steps(again, [n.text for n in again.nodes]).all_correct


def test_free_text_steps():
    graph = kg_graph(random.Random(5))
    person, country = graph.nodes[0].inputs[0], graph.nodes[0].output
    capital = graph.nodes[1].output
    steps = [f"First, {person} was born in {country}.", f"Follow up: What is the capital of {country}? "
             f"Intermediate answer: {capital}", "Let me think about this.",
             f"What is the capital of {country}? Intermediate answer: Atlantis"]
    result = label_steps(graph, steps)
    assert result.labels == [True, True, None, False], result.reasons
    assert result.first_wrong == 3


def test_arithmetic_claim_checked_even_off_template():
    graph = arith_graph(random.Random(7))
    node = graph.nodes[0]
    a, b = graph.resolve(node.inputs[0]), node.inputs[1]
    op = node.text.split()[1]
    assert label_steps(graph, [f"Now we compute {a} {op} {b} = {node.output}, good."]).labels == [True]
    wrong = label_steps(graph, [f"Now we compute {a} {op} {b} = {int(node.output) + 1}, good."])
    assert wrong.labels == [False] and "arithmetic" in wrong.reasons[0]


def test_corrupted_step_found_precision_recall():
    tp = fp = fn = 0
    for graph, steps, index in corpus(1000, seed=11):
        labels = label_steps(graph, steps).labels
        for k, label in enumerate(labels):
            if label is False and k == index:
                tp += 1
            elif label is False:
                fp += 1
            elif k == index:
                fn += 1
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"\nstep labels over 1000 corrupted traces: precision {precision:.3f}, recall {recall:.3f} "
          f"(tp {tp}, fp {fp}, fn {fn})")
    assert precision >= 0.95 and recall >= 0.95


def test_every_family_clean_steps_hold_and_a_corrupted_step_is_found():
    """Real symbolic fine traces of every registered family (benchmarks/step_labels_bench.py: 1,000 each)."""
    from cotsynth import tasks
    from cotsynth.tasks.knobs import resolve_knobs

    rng = random.Random(2)
    for name in tasks.names():
        family = tasks.get(name)
        settings, templates = resolve_knobs(family.knobs, {}), family.templates()
        problems = [family.build(9, name, i, settings, templates) for i in range(30)]
        for problem in problems:
            steps = [node.text for node in problem.graph.nodes]
            assert label_steps(problem.graph, steps).labels == [True] * len(steps), (name, steps)
        flagged = attempted = 0
        for problem in problems:
            steps = [node.text for node in problem.graph.nodes]
            index = rng.randrange(len(steps))
            node = problem.graph.nodes[index]
            head, found, tail = steps[index].rpartition(node.output)
            if not found or not node.output.lstrip("-").isdigit():
                continue
            steps[index] = head + str(int(node.output) + 7) + tail
            attempted += 1
            result = label_steps(problem.graph, steps)
            assert all(label is not False for k, label in enumerate(result.labels) if k != index), (name, steps)
            flagged += result.labels[index] is False
        # families whose values are not integers (entities, strings) are measured by the benchmark
        assert flagged >= 0.9 * attempted, (name, flagged, attempted)
