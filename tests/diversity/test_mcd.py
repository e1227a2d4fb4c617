"""The MCD search: the atom bound is hard, the target mode lands on its target, results are seeded."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cotsynth.core.metrics import divergences
from cotsynth.splits import SplitError, SplitsConfig, assign
from cotsynth.splits.columns import split_columns


def table(rows: list[tuple[list[str], list[str]]]) -> pa.Table:
    return pa.table({
        "problem_id": [f"p{k}" for k in range(len(rows))],
        "atoms": pa.array([sorted(set(a)) for a, _ in rows], pa.list_(pa.string())),
        "compounds": pa.array([sorted(set(c)) for _, c in rows], pa.list_(pa.string())),
    })


@st.composite
def random_tables(draw) -> pa.Table:
    """Rows over a few atoms; compounds are pairs of a row's atoms, so they correlate like real ones."""
    n_atoms = draw(st.integers(2, 6))
    n = draw(st.integers(20, 200))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(n):
        atoms = [f"a{i}" for i in rng.choice(n_atoms, int(rng.integers(1, n_atoms + 1)), replace=False)]
        compounds = [f"{x}>{y}" for x, y in zip(atoms, atoms[1:])]
        rows.append((atoms, compounds))
    return table(rows)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_tables(), st.sampled_from([0.005, 0.02, 0.1]), st.sampled_from([0.1, 0.3]), st.integers(0, 3))
def test_atom_bound_is_never_exceeded(problems, bound, fraction, seed):
    config = SplitsConfig(strategy="mcd", test_fraction=fraction,
                          mcd={"max_atom_divergence": bound, "iterations": 200, "restarts": 3})
    try:
        splits = assign(problems, config, seed)
    except SplitError as error:
        assert "mcd found no split" in str(error) or "empty" in str(error) or "never in train" in str(error)
        return
    assert divergences(problems, splits)["test"]["atom_divergence"] <= bound
    test = np.asarray(splits) == "test"
    assert abs(test.sum() - fraction * problems.num_rows) <= 0.1 * fraction * problems.num_rows + 1e-9


@pytest.mark.parametrize("target", [0.1, 0.25, 0.4])
def test_target_mode_lands_on_its_target(clean, target):
    config = SplitsConfig(strategy="mcd", test_fraction=0.2, mcd={"target_compound_divergence": target})
    d = divergences(clean, assign(clean, config, 0))["test"]
    assert abs(d["compound_divergence"] - target) <= 0.05 and d["atom_divergence"] <= 0.02


def test_unreachable_target_says_so(clean):
    config = SplitsConfig(strategy="mcd", test_fraction=0.2, mcd={"target_compound_divergence": 0.99})
    with pytest.raises(SplitError, match="could not reach `target_compound_divergence` 0.99"):
        assign(clean, config, 0)


def test_deterministic_and_reaches_beyond_greedy(clean):
    config = SplitsConfig(strategy="mcd", test_fraction=0.2, validation_fraction=0.1)
    first = assign(clean, config, 4)
    assert first == assign(clean, config, 4)
    reordered = clean.take(pa.array(np.arange(clean.num_rows)[::-1]))
    assert assign(reordered, config, 4) == first[::-1]
    d = divergences(clean, first)["test"]
    held = divergences(clean, assign(clean, SplitsConfig(strategy="heldout_compounds", test_fraction=0.2), 4))["test"]
    assert d["atom_divergence"] <= 0.02 and d["compound_divergence"] > 0.3
    assert held["atom_divergence"] > 0.02  # the plain hold-out cannot keep atoms balanced here


def test_a_list_of_targets_gives_one_column_per_further_target(clean):
    config = SplitsConfig(strategy="mcd", test_fraction=0.2, mcd={"target_compound_divergence": [0.1, 0.2, 0.35]})
    primary = divergences(clean, assign(clean, config, 0))["test"]
    assert abs(primary["compound_divergence"] - 0.1) <= 0.05
    table, summary = split_columns(clean, config, 0, threshold=0.9)
    assert table.column_names == ["problem_id", "mcd_dc_0.2", "mcd_dc_0.35"]
    for name, target in (("mcd_dc_0.2", 0.2), ("mcd_dc_0.35", 0.35)):
        d = divergences(clean, table.column(name).to_pylist())["test"]
        assert abs(d["compound_divergence"] - target) <= 0.05 and d["atom_divergence"] <= 0.02
        assert summary[name]["test"] == d
    assert split_columns(clean, SplitsConfig(strategy="mcd"), 0, threshold=0.9) is None


def test_three_step_compounds_do_not_count_their_edges_again():
    from cotsynth.splits.compounds import compounds
    from cotsynth.core.graph import Node, StepGraph

    def node(i, op, *inputs):
        return Node(i, op, inputs, "0", "", "")

    chain = StepGraph([node("a", "mul", "1"), node("b", "add", "@a"), node("c", "sub", "@b")], [], "c")
    assert compounds(chain, 2) == ["add>sub", "mul>add"] and compounds(chain, 3) == ["mul>add>sub"]
    fan_in = StepGraph([node("a", "mul", "1"), node("b", "div", "2"), node("c", "add", "@a", "@b"),
                        node("d", "neg", "3"), node("e", "sub", "@d")], [], "c")
    assert compounds(fan_in, 3) == ["neg>sub", "{div,mul}>add"]
    fan_out = StepGraph([node("a", "mul", "1"), node("b", "sub", "@a"), node("c", "add", "@a")], [], "c")
    assert compounds(fan_out, 3) == ["mul>{add,sub}"]
