"""The MCD search: how many rows of each group of interchangeable rows go to test.

The state is x[g], the test rows of group g (rows of a group share atoms and compounds, so only the
count matters). Every step evaluates exactly, in one sparse product, every candidate move: a group
wholly to test or to train, a chunk of it either way (fine balancing of atoms and size), and every
compound's groups wholly to test or to train (the coordinated move a compound hold-out needs: the
0.1-power of the compound divergence rewards only the last train rows of a compound leaving). The
best move is applied (steepest ascent). A round first climbs a soft objective that lets the atom
divergence and the test size stray (D_C or -|D_C - target|, minus penalties on the excess), then
repairs and polishes under the hard constraints: D_A <= bound, test size within the tolerance,
every atom in train. The best feasible state over seeded rounds is the answer: the first round
starts from an empty test side (CFQ's greedy construction), later ones from seeded random fills (the
optima they reach vary most, so fresh starts find the best ones) or, every third, from a
perturbation of the best so far: iterated local search, better than CFQ's single greedy pass, and
deterministic in (table, parameters, seed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from cotsynth.core.metrics import ATOM_ALPHA, COMPOUND_ALPHA

_SOFT_ATOM = 20.0  # D_C given up per unit of atom divergence above the bound while exploring
_SOFT_SIZE = 2.0  # ... per unit of relative test size outside the tolerance
_HARD = 10.0  # an infeasible state is worse than every feasible one
_EPS = 1e-12
_CAP = 6000  # group moves evaluated per step (a seeded sample when there are more)


@dataclass
class Tables:
    """Group sizes and group x vocabulary occurrence matrices (rows of a group are identical)."""

    size: np.ndarray  # (G,) rows per group
    compounds: sparse.csr_matrix  # (G, Vc) occurrences per row of the group
    atoms: sparse.csr_matrix  # (G, Va)


@dataclass
class Goal:
    test_rows: float
    size_tolerance: float
    max_atom_divergence: float
    target: float | None  # None: maximize the compound divergence


@dataclass
class Result:
    x: np.ndarray  # test rows per group
    compound_divergence: float
    atom_divergence: float
    trace: list[tuple[int, float, float]] = field(default_factory=list)  # (step, D_C now, best feasible D_C)


def _closeness(train: np.ndarray, test: np.ndarray, alpha: float) -> np.ndarray:
    """train^alpha * test^(1 - alpha), elementwise, with one power (the search's inner loop)."""
    if alpha == 0.5:
        return np.sqrt(train * test)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((train > 0) & (test > 0), test * np.power(train / test, alpha), 0.0)


def _divergence(train: np.ndarray, test: np.ndarray, alpha: float) -> float:
    if train.sum() <= 0 or test.sum() <= 0:
        return 0.0 if train.sum() == test.sum() else 1.0
    return float(max(0.0, 1.0 - _closeness(train / train.sum(), test / test.sum(), alpha).sum()))


def _expand(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(position in `rows`, entry index) of every stored entry of the given CSR rows."""
    starts, lengths = indptr[rows], indptr[rows + 1] - indptr[rows]
    owner = np.repeat(np.arange(len(rows)), lengths)
    return owner, np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)


class _Side:
    """One vocabulary (compounds or atoms): totals, test counts, and the group matrix."""

    def __init__(self, matrix: sparse.csr_matrix, size: np.ndarray, alpha: float):
        self.matrix, self.alpha = matrix, alpha
        self.per_row = np.asarray(matrix.sum(1)).ravel()  # occurrences in one row of each group
        self.total = np.asarray(matrix.T @ size).ravel()
        self.present = self.total > 0

    def set(self, x: np.ndarray) -> None:
        self.test = np.asarray(self.matrix.T @ x).ravel()
        self.train = self.total - self.test
        self.base = _closeness(self.train, self.test, self.alpha)
        self.unseen = int(((self.train < 0.5) & self.present).sum())

    def evaluate(self, row: np.ndarray, col: np.ndarray, data: np.ndarray, mass: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(divergence, atoms unseen in train) after each move, given its count changes as (move,
        vocabulary index, change) triplets and its total change of mass."""
        m, a = len(mass), self.alpha
        new_test, new_train = self.test[col] + data, self.train[col] - data
        change = _closeness(np.maximum(new_train, 0), np.maximum(new_test, 0), a) - self.base[col]
        raw = self.base.sum() + np.bincount(row, change, minlength=m)
        test_mass, train_mass = self.test.sum() + mass, self.train.sum() - mass
        norm = np.power(np.maximum(train_mass, _EPS), a) * np.power(np.maximum(test_mass, _EPS), 1 - a)
        div = np.where((test_mass > 0.5) & (train_mass > 0.5), np.clip(1 - raw / norm, 0, 1), 1.0)
        flips = ((new_train < 0.5) & self.present[col]).astype(np.float64) - ((self.train[col] < 0.5) & self.present[col])
        return div, self.unseen + np.bincount(row, flips, minlength=m)


class _State:
    """Counts of the current split, and the exact effect of candidate moves on them.

    Candidates: groups wholly to test or to train, chunks of large groups either way (two sizes; a seeded
    sample of at most `cap` of these), then every compound's groups wholly to test or to train."""

    def __init__(self, tables: Tables, chunk: float, cap: int, rng: np.random.Generator):
        self.t, self.chunk, self.cap, self.rng = tables, chunk, cap, rng
        self.c = _Side(tables.compounds, tables.size, COMPOUND_ALPHA)
        self.a = _Side(tables.atoms, tables.size, ATOM_ALPHA)
        coo = tables.compounds.tocoo()
        self.holder, self.held = coo.row, coo.col  # (group, compound) memberships
        self.n_compounds = tables.compounds.shape[1]
        member = tables.compounds.T.tocsr()  # (Vc, G): the groups holding each compound
        self.member_ptr, self.member_groups = member.indptr, member.indices
        self.pairs = {name: self._pairs(side) for name, side in (("dc", self.c), ("da", self.a))}
        self.set(np.zeros(len(tables.size)))

    def _pairs(self, side: _Side) -> tuple[np.ndarray, ...]:
        """For compound moves: every (membership, side entry of the same group), and the distinct
        (compound, side index) pairs they add to, so a move's count changes are one bincount."""
        owner, entry = _expand(side.matrix.indptr, self.holder)
        key = self.held[owner].astype(np.int64) * side.matrix.shape[1] + side.matrix.indices[entry]
        keys, pair = np.unique(key, return_inverse=True)
        return self.holder[owner], side.matrix.data[entry], pair, keys // side.matrix.shape[1], keys % side.matrix.shape[1]

    def set(self, x: np.ndarray) -> None:
        self.x = x.astype(np.float64)
        self.c.set(self.x)
        self.a.set(self.x)

    def candidates(self) -> None:
        """The current candidate moves: (group, delta) pairs, then the compound moves."""
        x, s = self.x, self.t.size
        room = s - x
        kinds = [(room, room > 0), (-x, x > 0)]
        for size in (self.chunk, 10 * self.chunk):  # a hundredth and a tenth of the test size
            kinds += [(np.minimum(size, room), room > size), (-np.minimum(size, x), x > size)]
        groups = np.concatenate([np.flatnonzero(ok) for _, ok in kinds])
        deltas = np.concatenate([d[ok] for d, ok in kinds])
        if len(groups) > self.cap:
            keep = np.sort(self.rng.choice(len(groups), self.cap, replace=False))
            groups, deltas = groups[keep], deltas[keep]
        self.groups, self.deltas = groups, deltas
        self.weights = (room, -x)  # per group: rows a compound move to test / to train moves

    def _compound_sums(self, per_group: np.ndarray) -> np.ndarray:
        """Per compound move (to test, then to train): the sum over its groups of weight * per_group."""
        return np.concatenate([np.bincount(self.held, w[self.holder] * per_group[self.holder], minlength=self.n_compounds)
                               for w in self.weights])

    def evaluate(self) -> dict[str, np.ndarray]:
        self.candidates()
        n_group, vc = len(self.groups), self.n_compounds
        ones = np.ones(len(self.t.size))
        out = {"size": self.x.sum() + np.concatenate([self.deltas, self._compound_sums(ones)])}
        for name, side in (("dc", self.c), ("da", self.a)):
            owner, entry = _expand(side.matrix.indptr, self.groups)
            group, value, pair, pair_row, pair_col = self.pairs[name]
            moved = [np.bincount(pair, w[group] * value, minlength=len(pair_row)) for w in self.weights]
            mass = np.concatenate([self.deltas * side.per_row[self.groups], self._compound_sums(side.per_row)])
            out[name], unseen = side.evaluate(
                np.concatenate([owner, pair_row + n_group, pair_row + n_group + vc]),
                np.concatenate([side.matrix.indices[entry], pair_col, pair_col]),
                np.concatenate([self.deltas[owner] * side.matrix.data[entry], *moved]),
                mass,
            )
            if name == "da":
                out["unseen"] = unseen
        return out

    def here(self) -> dict[str, np.ndarray]:
        """The current state as a one-move evaluation."""
        idx = np.zeros(0, np.int64)
        dc = self.c.evaluate(idx, idx, np.zeros(0), np.zeros(1))[0]
        da, unseen = self.a.evaluate(idx, idx, np.zeros(0), np.zeros(1))
        return {"size": np.array([self.x.sum()]), "dc": dc, "da": da, "unseen": unseen}

    def delta(self, k: int) -> np.ndarray:
        """The group deltas of candidate `k` of the last evaluation."""
        if k < len(self.groups):
            out = np.zeros(len(self.t.size))
            out[self.groups[k]] = self.deltas[k]
            return out
        direction, compound = divmod(k - len(self.groups), self.n_compounds)
        out = np.zeros(len(self.t.size))
        groups = self.member_groups[self.member_ptr[compound] : self.member_ptr[compound + 1]]
        out[groups] = self.weights[direction][groups]
        return out


class Search:
    def __init__(self, tables: Tables, goal: Goal, rng: np.random.Generator):
        self.t, self.goal, self.rng = tables, goal, rng
        self.state = _State(tables, max(1.0, np.floor(goal.test_rows / 100)), _CAP, rng)

    def _objective(self, dc: np.ndarray) -> np.ndarray:
        return dc if self.goal.target is None else -np.abs(dc - self.goal.target)

    def _size_excess(self, size: np.ndarray) -> np.ndarray:
        want = self.goal.test_rows
        return np.maximum(0.0, np.abs(size - want) / want - self.goal.size_tolerance)

    def _feasible(self, ev: dict[str, np.ndarray]) -> np.ndarray:
        return (ev["unseen"] == 0) & (ev["da"] <= self.goal.max_atom_divergence) & (self._size_excess(ev["size"]) == 0)

    def score(self, ev: dict[str, np.ndarray], hard: bool) -> np.ndarray:
        over = np.maximum(0.0, ev["da"] - self.goal.max_atom_divergence)
        size = self._size_excess(ev["size"])
        if hard:
            value = self._objective(ev["dc"]) - _HARD * (~self._feasible(ev)) - 100 * over - 10 * size - ev["unseen"]
        else:
            value = self._objective(ev["dc"]) - _SOFT_ATOM * over - _SOFT_SIZE * size - _HARD * ev["unseen"]
        return np.where((ev["size"] >= 1) & (ev["size"] <= self.t.size.sum() - 1), value, -np.inf)

    def climb(self, hard: bool, budget: int, log) -> int:
        """Steepest ascent until no move improves or the budget is spent; returns the steps taken.

        A step first tries the best moves of distinct groups together (many small moves that each
        help rarely hurt each other), and keeps the single best move when the batch does worse."""
        current = self.score(self.state.here(), hard)[0]
        for step in range(budget):
            values = self.score(self.state.evaluate(), hard)
            k = int(np.argmax(values))
            if not values[k] > current + 1e-9:
                return step
            single = self.state.x + self.state.delta(k)
            batch = self._batch(values, current)
            x, value = single, values[k]
            if batch is not None:
                self.state.set(batch)
                batch_value = self.score(self.state.here(), hard)[0]
                if batch_value > value:
                    x, value = batch, batch_value
            self.state.set(x)
            current = value
            ev = self.state.here()
            log(float(ev["dc"][0]), bool(self._feasible(ev)[0]), float(ev["da"][0]))
        return budget

    def _batch(self, values: np.ndarray, current: float) -> np.ndarray | None:
        """The improving group moves (not compound moves), best first, one per group, up to 5% of groups."""
        groups, deltas = self.state.groups, self.state.deltas
        gains = values[: len(groups)]
        good = np.flatnonzero(gains > current + 1e-9)
        if len(good) < 2:
            return None
        good = good[np.argsort(-gains[good], kind="stable")]
        _, first = np.unique(groups[good], return_index=True)
        chosen = good[np.sort(first)][: max(2, len(self.t.size) // 20)]
        x = self.state.x.copy()
        x[groups[chosen]] += deltas[chosen]
        return x

    def start_random(self) -> np.ndarray:
        """Groups in seeded order, first fit up to the test size."""
        x = np.zeros(len(self.t.size))
        filled = 0.0
        for g in self.rng.permutation(len(self.t.size)).tolist():
            if filled + self.t.size[g] <= self.goal.test_rows:
                x[g] = self.t.size[g]
                filled += self.t.size[g]
        return x

    def perturb(self, x: np.ndarray, strength: int) -> np.ndarray:
        """`strength` seeded random compound moves (a compound wholly to test or to train)."""
        self.state.set(x)
        for _ in range(strength):
            self.state.candidates()
            k = len(self.state.groups) + int(self.rng.integers(2 * self.state.n_compounds))
            self.state.set(self.state.x + self.state.delta(k))
        return self.state.x

    def run(self, iterations: int, restarts: int) -> Result | None:
        best: Result | None = None
        trace: list[tuple[int, float, float]] = []
        steps = 0

        def log(dc: float, feasible: bool, da: float) -> None:
            nonlocal best, steps
            steps += 1
            if feasible and (best is None or self._better(dc, best.compound_divergence)):
                best = Result(self.state.x.copy(), dc, da)
            trace.append((steps, dc, best.compound_divergence if best else float("nan")))

        per_round = max(2, iterations // max(1, restarts))
        for round_ in range(max(1, restarts)):
            if round_ == 0:
                start = np.zeros(len(self.t.size))  # greedy construction: the climb fills the test side
            elif best is None or round_ % 3 != 2:  # random starts differ most, and find the best optima
                start = self.start_random()
            else:
                start = self.perturb(best.x, strength=1 + int(self.rng.integers(3)))
            self.state.set(start)
            ev = self.state.here()
            if start.any():  # an empty test side has no divergence to show
                log(float(ev["dc"][0]), bool(self._feasible(ev)[0]), float(ev["da"][0]))
            used = self.climb(hard=False, budget=per_round // 2, log=log)
            self.climb(hard=True, budget=per_round - used, log=log)
            if self.goal.target is not None and best is not None and abs(best.compound_divergence - self.goal.target) < 0.005:
                break
        if best is not None:
            best.trace = trace
        return best

    def _better(self, dc: float, than: float) -> bool:
        if self.goal.target is None:
            return dc > than + 1e-12
        return abs(dc - self.goal.target) < abs(than - self.goal.target) - 1e-12
