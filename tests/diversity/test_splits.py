import json
from collections import Counter

import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from cotsynth.core.metrics import divergences
from cotsynth.splits import SplitError, SplitsConfig, assign, leakage

STRATEGIES = [
    {"strategy": "iid", "test_fraction": 0.2, "validation_fraction": 0.1},
    {"strategy": "difficulty", "difficulty": {"knob": "steps"}},
    {"strategy": "heldout_compounds", "test_fraction": 0.2},
    {"strategy": "heldout_templates", "heldout_templates": {"count": 3}},
    {"strategy": "mcd", "test_fraction": 0.2, "mcd": {"max_atom_divergence": 0.05, "iterations": 300}},
]


def atoms_of(problems, splits, name):
    return {a for a, s in zip(problems.column("atoms").to_pylist(), splits) if s == name for a in a}


@pytest.mark.parametrize("cfg", STRATEGIES, ids=lambda c: c["strategy"])
def test_deterministic_seeded_and_atoms_in_train(clean, cfg):
    config = SplitsConfig(**cfg)
    a, b = assign(clean, config, 7), assign(clean, config, 7)
    assert a == b
    assert set(a) <= {"train", "test", "validation"} and "test" in a and "train" in a
    assert atoms_of(clean, a, "test") <= atoms_of(clean, a, "train")
    reordered = clean.take(pa.array(np.arange(clean.num_rows)[::-1]))
    if cfg["strategy"] in ("iid", "difficulty"):  # per-row rules: independent of row order
        assert assign(reordered, config, 7) == a[::-1]
    if cfg["strategy"] != "difficulty":
        assert assign(clean, config, 8) != a


def test_iid_fractions(clean):
    counts = Counter(assign(clean, SplitsConfig(test_fraction=0.2, validation_fraction=0.1), 1))
    assert abs(counts["test"] / clean.num_rows - 0.2) < 0.03
    assert abs(counts["validation"] / clean.num_rows - 0.1) < 0.03


def test_difficulty_threshold(clean):
    splits = assign(clean, SplitsConfig(strategy="difficulty", difficulty={"knob": "steps", "threshold": 4}), 0)
    steps = [json.loads(k)["steps"] for k in clean.column("knobs").to_pylist()]
    assert all((s > 4) == (sp == "test") for s, sp in zip(steps, splits))


@pytest.mark.parametrize("strategy", [{"strategy": "iid", "test_fraction": 0.3},
                                      {"strategy": "difficulty", "difficulty": {"knob": "steps", "threshold": 3}}])
def test_keep_in_train_pins_rows_out_of_test_and_validation(clean, strategy):
    steps = np.array([json.loads(k)["steps"] for k in clean.column("knobs").to_pylist()])
    low = int(steps.min())
    free = assign(clean, SplitsConfig(**strategy, validation_fraction=0.1), 4)
    pinned = assign(clean, SplitsConfig(**strategy, validation_fraction=0.1, keep_in_train={"steps": [low]}), 4)
    assert {s for s, k in zip(free, steps) if k == low} > {"train"}  # without the pin some leave train
    assert all(s == "train" for s, k in zip(pinned, steps) if k == low)
    others = steps != low
    assert abs(Counter(pinned)["validation"] / clean.num_rows - 0.1) < 0.03  # the share is still of all rows
    if strategy["strategy"] == "difficulty":  # a per-row rule: the unpinned rows keep their test side
        assert [s == "test" for s, o in zip(pinned, others) if o] == [s == "test" for s, o in zip(free, others) if o]


def test_keep_in_train_names_an_unknown_knob(clean):
    with pytest.raises(SplitError, match=r"keep_in_train: no problem records the knob\(s\) \['stepz'\]"):
        assign(clean, SplitsConfig(keep_in_train={"stepz": [1]}), 0)


def test_heldout_compounds_really_held_out(clean):
    splits = assign(clean, SplitsConfig(strategy="heldout_compounds", heldout_compounds={"names": ["div>mul"]}), 0)
    comps = clean.column("compounds").to_pylist()
    assert all(("div>mul" in c) == (s == "test") for c, s in zip(comps, splits))
    counted = assign(clean, SplitsConfig(strategy="heldout_compounds", test_fraction=0.2, heldout_compounds={"count": 1}), 3)
    train_c = {c for cs, s in zip(comps, counted) if s == "train" for c in cs}
    test_c = {c for cs, s in zip(comps, counted) if s == "test" for c in cs}
    assert len(test_c - train_c) == 1


def test_divergence_sane(clean):
    iid = divergences(clean, assign(clean, SplitsConfig(test_fraction=0.2), 0))["test"]
    tpl = divergences(clean, assign(clean, SplitsConfig(strategy="heldout_templates", test_fraction=0.2, heldout_templates={"names": ["arith/t00", "arith/t10", "arith/t20", "arith/t30"]}), 0))["test"]
    held = divergences(clean, assign(clean, SplitsConfig(strategy="heldout_compounds", test_fraction=0.2), 0))["test"]
    mcd = divergences(clean, assign(clean, SplitsConfig(strategy="mcd", test_fraction=0.2, mcd={"max_atom_divergence": 0.05, "iterations": 300}), 0))["test"]
    assert iid["atom_divergence"] < 0.01 and iid["compound_divergence"] < 0.02
    assert tpl["compound_divergence"] > 0.1 and held["compound_divergence"] > 0.2
    assert mcd["compound_divergence"] > 5 * iid["compound_divergence"] and mcd["atom_divergence"] <= 0.05


def test_errors_name_the_cause(clean):
    atoms = clean.column("atoms").to_pylist()
    atoms[0] = atoms[0] + ["pow"]  # an atom that only the held-out template's problem has
    rare = clean.set_column(clean.schema.get_field_index("atoms"), "atoms", pa.array(atoms, pa.list_(pa.string())))
    template = rare.column("template_id")[0].as_py()
    with pytest.raises(SplitError, match=r"atoms \['pow'\] occur in test/validation but never in train"):
        assign(rare, SplitsConfig(strategy="heldout_templates", heldout_templates={"names": [template]}), 0)
    one = clean.slice(0, 1)
    with pytest.raises(SplitError, match="split is empty"):
        assign(one, SplitsConfig(test_fraction=0.01), 0)
    with pytest.raises(SplitError, match="knob `hops` is missing"):
        assign(clean, SplitsConfig(strategy="difficulty", difficulty={"knob": "hops"}), 0)
    with pytest.raises(SplitError, match="occur in no problem"):
        assign(clean, SplitsConfig(strategy="heldout_compounds", heldout_compounds={"names": ["pow>add"]}), 0)
    with pytest.raises(SplitError, match="split is empty"):
        assign(clean, SplitsConfig(strategy="difficulty", difficulty={"knob": "steps", "threshold": 6}), 0)


def test_config_validation_messages():
    with pytest.raises(ValidationError, match="must be < 1"):
        SplitsConfig(test_fraction=0.6, validation_fraction=0.5)
    with pytest.raises(ValidationError, match="needs `difficulty"):
        SplitsConfig(strategy="difficulty")
    with pytest.raises(ValidationError, match="do not apply"):
        SplitsConfig(strategy="iid", mcd={"iterations": 3})
    with pytest.raises(ValidationError, match="either `count` or `names`"):
        SplitsConfig(strategy="heldout_compounds", heldout_compounds={"count": 1, "names": ["a>b"]})
    with pytest.raises(ValidationError, match="Extra inputs"):
        SplitsConfig(stratgy="iid")


def test_leakage_removes_crossing_duplicates(problems):
    from cotsynth.diversity import DiversityConfig, dedup

    for cfg in (SplitsConfig(test_fraction=0.2), SplitsConfig(strategy="heldout_compounds", test_fraction=0.2)):
        splits = assign(problems, cfg, 0)
        out = leakage(problems, splits, cfg, threshold=0.8)
        assert out["moved" if cfg.strategy == "iid" else "dropped"] > 0
        kept = [k for k, s in enumerate(out["splits"]) if s is not None]
        sub = problems.take(pa.array(kept))
        new = [out["splits"][k] for k in kept]
        # within each split duplicates may remain; across train/test none: dedup of train+test pairs
        reasons = dedup(sub, DiversityConfig(dedup="minhash", threshold=0.8))
        ids = {pid: s for pid, s in zip(sub.column("problem_id").to_pylist(), new)}
        for r, s in zip(reasons, new):
            if r:
                assert ids[r.split(":", 1)[1]] == s
        again = leakage(sub, new, cfg, threshold=0.8)
        assert again["moved"] == again["dropped"] == 0


def test_every_configurable_strategy_has_a_test_mask():
    from typing import get_args

    from cotsynth.splits.assign import TEST_MASKS

    names = set(get_args(SplitsConfig.model_fields["strategy"].annotation))
    assert names - set(TEST_MASKS) == {"mcd"} and set(TEST_MASKS) <= names
