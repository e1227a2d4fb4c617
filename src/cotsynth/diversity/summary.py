"""A short Markdown summary of a report dict, for `cotsynth report DIR` and the dataset card."""

from __future__ import annotations


def _get(d: dict, *path, default="n/a"):
    for key in path:
        if not isinstance(d, dict) or key not in d:
            return default
        d = d[key]
    return d


READING = (
    "Reading the divergences: atom divergence (D_A) and compound divergence (D_C) compare each split with "
    "train as 1 minus the Chernoff coefficient of their frequency distributions (Keysers et al. 2020, CFQ; "
    "alpha 0.5 for atoms, so both directions count, and 0.1 for compounds, so a compound common in test but rare "
    "in train counts almost fully); 0 is the same mix, 1 disjoint. Atoms are the primitive operations, compounds "
    "how they combine (here: {definition}). Low D_A with low D_C (iid) tests in-distribution skill; low D_A with "
    "high D_C (mcd, held-out compounds) tests composition, every part having been trained on but not their "
    "combinations; a high D_A tests unseen parts, which no training can teach. Coverage is the share of all "
    "distinct atoms or compounds that occur in a split."
)


def render_summary(report: dict) -> str:
    """Key figures as Markdown: splits, duplicates, lexical and structural diversity, divergence, plots."""
    if not report.get("rows"):
        return "No problems."
    splits = ", ".join(f"{k} {v:,}" for k, v in report.get("splits", {}).items())
    lines = [
        f"**{report['rows']:,} problems** ({splits})",
        "",
        "| metric | value |",
        "| --- | --- |",
        f"| exact / near duplicate rate (questions) | {_get(report, 'questions', 'exact_duplicate_rate')} / {_get(report, 'questions', 'near_duplicate_rate')} |",
        f"| distinct-1/2/3 questions (sample of {_get(report, 'questions', 'distinct_rows')} rows) | {_get(report, 'questions', 'distinct_1')} / {_get(report, 'questions', 'distinct_2')} / {_get(report, 'questions', 'distinct_3')} |",
        f"| distinct-1/2/3 CoT (sample of {_get(report, 'cot', 'distinct_rows')} rows) | {_get(report, 'cot', 'distinct_1')} / {_get(report, 'cot', 'distinct_2')} / {_get(report, 'cot', 'distinct_3')} |",
        f"| templates (entropy, normalized) | {_get(report, 'templates', 'distinct')} ({_get(report, 'templates', 'entropy_bits')} bits, {_get(report, 'templates', 'normalized_entropy')}) |",
        f"| graph shapes (entropy) | {_get(report, 'shapes', 'distinct')} ({_get(report, 'shapes', 'entropy_bits')} bits) |",
        f"| atoms / compounds | {_get(report, 'atoms', 'distinct')} / {_get(report, 'compounds', 'distinct')} |",
        f"| Vendi, question n-grams ({_get(report, 'vendi', 'questions_ngram', 'rows')} rows) | {_get(report, 'vendi', 'questions_ngram', 'score')} |",
        f"| Vendi, question embeddings | {_get(report, 'vendi', 'questions_embedding', 'score')} |",
        f"| Vendi, CoT n-grams ({_get(report, 'vendi', 'cot_ngram', 'rows')} rows) | {_get(report, 'vendi', 'cot_ngram', 'score')} |",
        f"| self-BLEU questions / CoT | {_get(report, 'self_bleu', 'questions', 'score')} / {_get(report, 'self_bleu', 'cot', 'score')} |",
    ]
    for split, d in report.get("divergence", {}).items():
        unseen = _get(report, "compounds", "splits", split, "unseen_in_train", default=0)
        lines.append(
            f"| {split} vs train: atom / compound divergence | {d['atom_divergence']} / {d['compound_divergence']} ({unseen} compounds unseen in train) |"
        )
    for split in report.get("splits", {}):
        lines.append(f"| {split}: atom / compound coverage | {_get(report, 'atoms', 'splits', split, 'coverage')} / "
                     f"{_get(report, 'compounds', 'splits', split, 'coverage')} |")
    if "mcd" in report:
        m = report["mcd"]
        aim = "maximum" if m["target_compound_divergence"] is None else f"target {m['target_compound_divergence']}"
        lines.append(f"| mcd search ({aim}) | D_C {m['compound_divergence']} at D_A {m['atom_divergence']} after {m['steps']} steps |")
    if report.get("divergence"):
        lines += ["", READING.format(definition=_get(report, "compounds", "definition", "definition", default="parent>child atom pairs"))]
    if _get(report, "atoms", "note", default=None):
        lines += ["", f"Atoms and compounds are {report['atoms']['note']}."]
    if report.get("plots"):
        lines += ["", "Plots: " + ", ".join(f"[{p.split('/')[-1][:-4]}]({p})" for p in report["plots"])]
    return "\n".join(lines)
