"""Entity-level OOD split (Grokked Transformers): checked on the shipped rows of real runs."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from cotsynth import tasks
from cotsynth.config import parse_config
from cotsynth.pipeline.run import RunOptions, run_pipeline
from cotsynth.splits import SplitError, SplitsConfig, assign
from cotsynth.splits.entities import held_out
from cotsynth.core.graph import StepGraph
from cotsynth.tasks.kg import knowledge_graph

KG = {"entities": 60, "relations": 4, "kg_seed": 3}


def shipped(out) -> list[dict]:
    """(split, inferred, entities) of every shipped record, the entities read back from its graph."""
    rows = []
    for path in sorted((out / "data").glob("*.parquet")):
        for r in pq.read_table(path, columns=["split", "task", "graph"]).to_pylist():
            graph = StepGraph.from_json(json.loads(r["graph"]))
            rows.append({"split": r["split"], "inferred": graph.complexity() > 1,
                         "entities": set(tasks.get(r["task"]).entities(graph))})
    return rows


@pytest.fixture(scope="module")
def entity_run(tmp_path_factory):
    held = list(knowledge_graph(KG["kg_seed"], KG["entities"], KG["relations"]).entities[:4])
    config = {
        "name": "entities", "seed": 5,
        "tasks": [
            {"family": "kg_compose", "count": 300, "knobs": KG | {"hops": [2, 3], "atomic": 40}},
            {"family": "kg_compare", "count": 200, "knobs": KG | {"atomic": 40, "form": ["yes_no", "three_way"]}},
        ],
        "traces": [{"source": "symbolic", "granularity": ["answer", "fine"], "style": "steps"}],
        "splits": {"strategy": "heldout_entities", "validation_fraction": 0.1, "heldout_entities": {"names": held}},
        "diversity": {"dedup": "exact"},
        "output": {"dir": "unused", "formats": ["sft"]},
    }
    out = tmp_path_factory.mktemp("entities") / "out"
    run_pipeline(parse_config(config), RunOptions(out_dir=out, executor="local"))
    return set(held), shipped(out)


def test_no_inferred_problem_about_a_heldout_entity_outside_test(entity_run):
    held, rows = entity_run
    for r in rows:
        if r["inferred"] and r["entities"] & held:
            assert r["split"] == "test", r
        if r["split"] == "test":
            assert r["inferred"] and r["entities"] & held, r
    assert sum(r["split"] == "test" for r in rows) > 20
    assert any(r["split"] == "validation" for r in rows)


def test_atomic_facts_of_heldout_entities_stay_in_train(entity_run):
    held, rows = entity_run
    facts = [r for r in rows if not r["inferred"] and r["entities"] & held]
    assert len(facts) >= 5
    assert all(r["split"] in ("train", "validation") for r in facts)
    assert sum(r["split"] == "train" for r in facts) >= 4


def problems_table(n: int, knobs: dict) -> pa.Table:
    family = tasks.get("kg_compose")
    from cotsynth.tasks.knobs import resolve_knobs

    settings = resolve_knobs(family.knobs, knobs)
    built = [family.build(2, "kg", i, settings, family.templates()) for i in range(n)]
    return pa.table({
        "problem_id": [p.id for p in built],
        "atoms": [p.graph.atoms() for p in built],
        "complexity": pa.array([p.graph.complexity() for p in built], pa.int32()),
        "entities": [family.entities(p.graph) for p in built],
    })


def test_fraction_is_seeded_and_atomic_test_option():
    table = problems_table(400, KG | {"hops": [2, 2], "atomic": 30})
    config = SplitsConfig(strategy="heldout_entities", heldout_entities={"fraction": 0.1})
    a, b, other = assign(table, config, 1), assign(table, config, 1), assign(table, config, 2)
    assert a == b and a != other
    entities = table.column("entities").to_pylist()
    inferred = [c > 1 for c in table.column("complexity").to_pylist()]
    vocab = sorted({e for es in entities for e in es})
    held = {e for e, out in zip(vocab, held_out(vocab, config.heldout_entities, 1)) if out}
    assert len(held) == round(0.1 * len(vocab))
    assert all((s == "test") == (inf and bool(set(es) & held)) for es, s, inf in zip(entities, a, inferred))
    with_facts = assign(table, SplitsConfig(strategy="heldout_entities",
                                            heldout_entities={"fraction": 0.1, "atomic": "test"}), 1)
    moved = [k for k, (x, y) in enumerate(zip(a, with_facts)) if x != y]
    assert moved and all(not inferred[k] and with_facts[k] == "test" for k in moved)


def test_errors_name_the_cause():
    table = problems_table(50, KG | {"hops": [2, 2]})
    with pytest.raises(SplitError, match="occur in no problem"):
        assign(table, SplitsConfig(strategy="heldout_entities", heldout_entities={"names": ["Nobody Atall"]}), 0)
    empty = table.set_column(3, "entities", pa.array([[]] * 50, pa.list_(pa.string())))
    with pytest.raises(SplitError, match="names an entity"):
        assign(empty, SplitsConfig(strategy="heldout_entities"), 0)
