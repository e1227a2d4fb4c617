"""`assign`: run the configured strategy, carve validation out of train, and check the result."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cotsynth.core.seeding import unit_hash
from cotsynth.core.metrics import per_split_counts, split_codes
from cotsynth.splits import strategies
from cotsynth.splits.config import MCDParams, SplitsConfig
from cotsynth.splits.errors import SplitError
from cotsynth.splits.mcd import mcd


def assign(problems: pa.Table, config: SplitsConfig, seed: int) -> list[str]:
    """Per row "train", "test" or "validation"; raises SplitError when the result is unusable.

    Validation is an in-distribution slice of the train side (seeded by problem_id), so it never
    receives held-out compounds, templates or harder problems.
    """
    n = problems.num_rows
    if n == 0:
        raise SplitError("no problems to split")
    tf = config.test_fraction
    if config.strategy == "iid":
        test = strategies.iid(problems, tf, seed)
    elif config.strategy == "difficulty":
        test = strategies.difficulty(problems, config.difficulty, tf)
    elif config.strategy == "heldout_compounds":
        test = strategies.holdout(problems, problems.column("compounds"), config.heldout_compounds, tf, seed, "compounds")
    elif config.strategy == "heldout_templates":
        test = strategies.holdout(problems, strategies.template_lists(problems), config.heldout_templates, tf, seed, "templates")
    elif config.strategy == "heldout_values":
        params = config.heldout_values
        test = strategies.holdout(problems, strategies.value_lists(problems, params.column), strategies.held_values(params),
                                  tf, seed, f"values of {params.column}")
    else:
        test = mcd(problems, config.mcd or MCDParams(), tf, seed)
    splits = np.where(test, "test", "train").astype(object)
    if config.validation_fraction > 0:
        train = ~test
        share = config.validation_fraction / max(train.mean(), 1e-12)
        u = unit_hash(seed, problems.column("problem_id"), "validation")
        splits[train & (u < share)] = "validation"
    check(problems, splits, config.strategy)
    return splits.tolist()


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
