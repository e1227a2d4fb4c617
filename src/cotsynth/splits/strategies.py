"""Split strategies: each returns a boolean test mask over the problems table, seeded and deterministic."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.core.metrics import codes, flatten_codes
from cotsynth.core.seeding import unit_hash
from cotsynth.splits.config import DifficultyParams, HeldoutParams, HeldoutValuesParams
from cotsynth.splits.errors import SplitError


def iid(problems: pa.Table, test_fraction: float, seed: int) -> np.ndarray:
    """Test where blake2b(seed, problem_id) < test_fraction: adding a problem never moves another."""
    return unit_hash(seed, problems.column("problem_id"), "split") < test_fraction


def knob_values(problems: pa.Table, knob: str) -> np.ndarray:
    """Per row, the numeric value of a knob (`complexity` reads the graph size column)."""
    if knob == "complexity":
        return np.asarray(problems.column("complexity"), np.float64)
    out = np.empty(problems.num_rows, np.float64)
    for k, text in enumerate(problems.column("knobs").to_pylist()):
        value = json.loads(text).get(knob)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            task = problems.column("task")[k].as_py()
            raise SplitError(
                f"difficulty knob `{knob}` is {'missing' if value is None else f'not numeric ({value!r})'} "
                f"in problem {problems.column('problem_id')[k].as_py()} (task {task})"
            )
        out[k] = value
    return out


def kept_in_train(problems: pa.Table, keep: dict[str, list]) -> np.ndarray:
    """Per row, whether one of its recorded knobs has a value `keep` pins to train. A knob that no
    problem records is a config error (a misspelt name would otherwise pin nothing)."""
    pinned = np.zeros(problems.num_rows, bool)
    recorded: set[str] = set()
    memo: dict[str, bool] = {}
    for k, text in enumerate(problems.column("knobs").to_pylist()):
        if text not in memo:
            knobs = json.loads(text)
            recorded.update(knobs)
            memo[text] = any(name in knobs and knobs[name] in values for name, values in keep.items())
        pinned[k] = memo[text]
    missing = sorted(set(keep) - recorded)
    if missing:
        raise SplitError(f"keep_in_train: no problem records the knob(s) {missing} (recorded: {sorted(recorded)})")
    return pinned


def difficulty(problems: pa.Table, params: DifficultyParams, test_fraction: float) -> np.ndarray:
    """Test where the knob exceeds the threshold (by default the cut leaving about test_fraction above)."""
    values = knob_values(problems, params.knob)
    threshold = params.threshold
    if threshold is None:
        levels = np.unique(values)
        if len(levels) < 2:
            raise SplitError(f"difficulty knob `{params.knob}` has a single value ({levels[0]:g}): nothing to extrapolate to")
        above = np.array([(values > t).mean() for t in levels[:-1]])
        fits = np.flatnonzero(above <= test_fraction)
        threshold = float(levels[fits[0]] if len(fits) else levels[-2])
    test = values > threshold
    if not test.any():
        raise SplitError(
            f"test split is empty: no problem has `{params.knob}` > {threshold:g} (max {values.max():g})"
        )
    return test


class _Csr:
    """Per-row lists as (vocabulary, offsets, codes) plus the inverted index unit -> rows."""

    def __init__(self, lists: pa.Array | pa.ChunkedArray, n: int) -> None:
        self.vocab, self.codes, rows = flatten_codes(lists)
        self.offsets = np.searchsorted(rows, np.arange(n + 1))
        order = np.argsort(self.codes, kind="stable")
        self.unit_rows = rows[order]
        self.unit_offsets = np.searchsorted(self.codes[order], np.arange(len(self.vocab) + 1))

    def rows_of(self, unit: int) -> np.ndarray:
        return self.unit_rows[self.unit_offsets[unit] : self.unit_offsets[unit + 1]]

    def codes_of(self, rows: np.ndarray) -> np.ndarray:
        starts, ends = self.offsets[rows], self.offsets[rows + 1]
        lengths = ends - starts
        idx = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        return self.codes[idx]


def holdout(problems: pa.Table, units: pa.Array | pa.ChunkedArray, params: HeldoutParams | None, test_fraction: float, seed: int, what: str) -> np.ndarray:
    """Test = rows with any held-out unit (compound or template); every atom must stay in train.

    Units are taken in seeded order and kept only if the test stays within 1.5 x test_fraction and no
    atom loses its last train row; `names` holds out exactly those, `count` that many, else enough to
    reach test_fraction.
    """
    n = problems.num_rows
    index = _Csr(units, n)
    atoms = _Csr(problems.column("atoms"), n)
    train_atoms = np.bincount(atoms.codes, minlength=len(atoms.vocab))
    test = np.zeros(n, bool)
    params = params or HeldoutParams()
    if params.names is not None:
        unknown = sorted(set(params.names) - set(index.vocab))
        if unknown:
            raise SplitError(f"held-out {what} {unknown} occur in no problem")
        chosen = [index.vocab.index(name) for name in params.names]
        for unit in chosen:
            test[index.rows_of(unit)] = True
        return test
    order = np.argsort(unit_hash(seed, index.vocab, f"heldout_{what}"), kind="stable")
    target, budget = test_fraction * n, 1.5 * test_fraction * n
    taken: list[str] = []
    for unit in order.tolist():
        rows = index.rows_of(unit)
        rows = rows[~test[rows]]
        if test.sum() + len(rows) > budget:
            continue
        lost = np.bincount(atoms.codes_of(rows), minlength=len(atoms.vocab))
        if ((train_atoms > 0) & (train_atoms - lost == 0)).any():
            continue
        test[rows] = True
        train_atoms -= lost
        taken.append(index.vocab[unit])
        if (params.count is not None and len(taken) == params.count) or (params.count is None and test.sum() >= target):
            break
    if params.count is not None and len(taken) < params.count:
        raise SplitError(
            f"only {len(taken)} of {params.count} {what} can be held out with the test split under "
            f"{1.5 * test_fraction:.0%} of problems and every atom still in train"
        )
    if not test.any():
        smallest = min((len(index.rows_of(u)) for u in range(len(index.vocab))), default=0)
        raise SplitError(
            f"test split is empty: no {what} can be held out within 1.5 x test_fraction "
            f"({budget:.0f} problems) without leaving an atom unseen in train; the rarest occurs in {smallest}"
        )
    return test


def value_lists(problems: pa.Table, column: str) -> pa.ListArray:
    """A source column's value (from `knobs`) as a one-element list per row, for the value hold-out."""
    values = []
    for k, text in enumerate(problems.column("knobs").to_pylist()):
        found = json.loads(text)
        if column not in found:
            raise SplitError(f"heldout_values.column `{column}` is missing in problem {problems.column('problem_id')[k].as_py()}")
        values.append(_value_name(found[column]))
    return pa.ListArray.from_arrays(pa.array(np.arange(len(values) + 1, dtype=np.int32)), pa.array(values, pa.string()))


def _value_name(value: object) -> str:
    return json.dumps(value) if not isinstance(value, str) else value


def held_values(params: HeldoutValuesParams) -> HeldoutParams:
    names = None if params.values is None else [_value_name(v) for v in params.values]
    return HeldoutParams(count=params.count, names=names)


def template_lists(problems: pa.Table) -> pa.ListArray:
    """template_id as a one-element list per row, so templates reuse the compound hold-out."""
    col = problems.column("template_id").combine_chunks()
    return pa.ListArray.from_arrays(pa.array(np.arange(len(col) + 1, dtype=np.int32)), col)


def group_keys(problems: pa.Table) -> tuple[list[str], np.ndarray]:
    """Rows with the same atoms and compounds are interchangeable for divergence: group them."""
    key = pc.binary_join_element_wise(
        pc.binary_join(problems.column("compounds"), ","), pc.binary_join(problems.column("atoms"), ","), "|"
    )
    return codes(key)
