"""Entity-level out-of-distribution split (Grokked Transformers): hold out a seeded set of entities.

Each problem row carries the entities it is about (`TaskFamily.entities`: KG people, two_hop tokens)
and its step count (`complexity`). An inferred problem (two or more steps) touching a held-out entity
goes to test, so train never composes or compares a held-out entity; a one-step problem states an
atomic fact and stays in train, so the facts a test problem needs are learnable (or goes to test
with `atomic: test`). Decided per problem row, so it composes with problem-level identity checks.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cotsynth.core.seeding import unit_hash
from cotsynth.core.metrics import flatten_codes
from cotsynth.splits.config import HeldoutEntitiesParams
from cotsynth.splits.errors import SplitError

DEFAULT_FRACTION = 0.1


def held_out(vocab: list[str], params: HeldoutEntitiesParams, seed: int) -> np.ndarray:
    """Mask over the entity vocabulary: `names`, or the round(fraction * V) lowest seeded hashes."""
    if params.names is not None:
        unknown = sorted(set(params.names) - set(vocab))
        if unknown:
            raise SplitError(f"held-out entities {unknown[:10]} occur in no problem")
        return np.isin(np.asarray(vocab, dtype=object), params.names)
    count = max(1, round((params.fraction or DEFAULT_FRACTION) * len(vocab)))
    order = np.argsort(unit_hash(seed, vocab, "heldout_entities"), kind="stable")
    mask = np.zeros(len(vocab), bool)
    mask[order[:count]] = True
    return mask


def heldout_entities(problems: pa.Table, params: HeldoutEntitiesParams | None, seed: int) -> np.ndarray:
    """Test mask: inferred problems touching a held-out entity (and their atomic facts if asked)."""
    params = params or HeldoutEntitiesParams()
    if "entities" not in problems.column_names:
        raise SplitError("strategy `heldout_entities` needs the problems' `entities` column")
    vocab, codes, rows = flatten_codes(problems.column("entities"))
    if not vocab:
        raise SplitError(
            f"strategy `heldout_entities`: none of the {problems.num_rows} problems names an entity; "
            "it applies to families with entities (kg_compose, kg_compare, two_hop)"
        )
    touches = np.zeros(problems.num_rows, bool)
    touches[rows[held_out(vocab, params, seed)[codes]]] = True
    inferred = np.asarray(problems.column("complexity"), np.int64) > 1
    return touches & (inferred | (params.atomic == "test"))
