"""`assign`: run the configured strategy, carve validation out of train, and check the result."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from cotsynth.core.seeding import unit_hash
from cotsynth.core.metrics import divergences, per_split_counts, split_codes
from cotsynth.splits import mcd, strategies
from cotsynth.splits.config import MCDParams, SplitsConfig
from cotsynth.splits.entities import heldout_entities
from cotsynth.splits.errors import SplitError


def assign(problems: pa.Table, config: SplitsConfig, seed: int, info: dict | None = None) -> list[str]:
    """Per row "train", "test" or "validation"; raises SplitError when the result is unusable.
    `info`, if given, receives what the strategy found out (mcd: its divergences and search trace).

    Validation is an in-distribution slice of the train side (seeded by problem_id), so it never
    receives held-out compounds, templates or harder problems. Problems `keep_in_train` pins stay in
    train whatever the strategy says.
    """
    if problems.num_rows == 0:
        raise SplitError("no problems to split")
    pinned = strategies.kept_in_train(problems, config.keep_in_train) if config.keep_in_train else None
    if config.strategy == "mcd":
        splits = mcd_splits(problems, config, (config.mcd or MCDParams()).targets()[0], seed, info, pinned)
    else:
        test = TEST_MASKS[config.strategy](problems, config, seed)
        splits = with_validation(problems, test, config.validation_fraction, seed, pinned)
    check(problems, splits, config.strategy)
    return splits.tolist()


TestMask = Callable[[pa.Table, SplitsConfig, int], np.ndarray]

# Every strategy but mcd, by name: the boolean test rows of (problems, the splits config, seed).
# A new strategy is one function in strategies.py, its parameters in config.py, and one entry here.
TEST_MASKS: dict[str, TestMask] = {
    "iid": lambda problems, config, seed: strategies.iid(problems, config.test_fraction, seed),
    "difficulty": lambda problems, config, seed: strategies.difficulty(problems, config.difficulty, config.test_fraction),
    "heldout_compounds": lambda problems, config, seed: strategies.holdout(
        problems, problems.column("compounds"), config.heldout_compounds, config.test_fraction, seed, "compounds"),
    "heldout_templates": lambda problems, config, seed: strategies.holdout(
        problems, strategies.template_lists(problems), config.heldout_templates, config.test_fraction, seed, "templates"),
    "heldout_entities": lambda problems, config, seed: heldout_entities(problems, config.heldout_entities, seed),
    "heldout_values": lambda problems, config, seed: strategies.holdout(
        problems, strategies.value_lists(problems, config.heldout_values.column), strategies.held_values(config.heldout_values),
        config.test_fraction, seed, f"values of {config.heldout_values.column}"),
}


def with_validation(problems: pa.Table, test: np.ndarray, fraction: float, seed: int, pinned: np.ndarray | None = None) -> np.ndarray:
    """Split names: train where `pinned`, else test where `test`, else validation for a seeded
    `fraction` of all rows (drawn from the rows neither test nor pinned), else train."""
    eligible = ~test if pinned is None else ~test & ~pinned  # neither test nor pinned
    if pinned is not None:
        test = test & ~pinned
    splits = np.where(test, "test", "train").astype(object)
    if fraction > 0:
        if not eligible.any():
            raise SplitError("validation_fraction: every train problem is pinned by keep_in_train; nothing to carve")
        share = fraction / max(eligible.mean(), 1e-12)
        u = unit_hash(seed, problems.column("problem_id"), "validation")
        splits[eligible & (u < share)] = "validation"
    return splits


def mcd_splits(problems: pa.Table, config: SplitsConfig, target: float | None, seed: int, info: dict | None = None,
               pinned: np.ndarray | None = None) -> np.ndarray:
    """The mcd split with its validation slice; the atom bound holds against the final train side
    (carving validation out of train shifts it slightly: the search then reruns under a tighter bound)."""
    params = config.mcd or MCDParams()
    for factor in (1.0, 0.9, 0.75, 0.5):
        test, result = mcd.search(problems, params, config.test_fraction, seed, target, params.max_atom_divergence * factor)
        splits = with_validation(problems, test, config.validation_fraction, seed, pinned)
        d = divergences(problems, splits)["test"]
        if d["atom_divergence"] <= params.max_atom_divergence:
            if info is not None:
                info["mcd"] = {"target": target, "atom_divergence": d["atom_divergence"],
                               "compound_divergence": d["compound_divergence"], "trace": result.trace}
            return splits
    raise SplitError(
        f"mcd: carving validation_fraction {config.validation_fraction} out of train keeps the atom divergence "
        f"above {params.max_atom_divergence}; lower validation_fraction or raise `max_atom_divergence`"
    )


def check(problems: pa.Table, splits: np.ndarray | list, strategy: str) -> None:
    """Raise SplitError if train or test is empty or an atom of another split is unseen in train."""
    s = split_codes(splits)
    for code, name in ((0, "train"), (2, "test")):
        if not (s == code).any():
            raise SplitError(f"{name} split is empty with strategy `{strategy}` over {problems.num_rows} problems")
    vocab, counts = per_split_counts(problems.column("atoms"), s)
    unseen = (counts[1:].sum(0) > 0) & (counts[0] == 0)
    if unseen.any():
        names = [vocab[v] for v in np.flatnonzero(unseen)]
        raise SplitError(
            f"atoms {names[:10]} occur in test/validation but never in train with strategy `{strategy}`: "
            "a model cannot learn them; hold out fewer or different compounds/templates, or generate more problems"
        )
