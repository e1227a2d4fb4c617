"""The `cotsynth` command line: run, tasks, preview, report, probe, publish, teacher-sim.

Errors a user can fix (a bad config, an output dir in the way) print one line per problem on stderr
and exit with status 2; no traceback. A run that finishes but keeps no row exits with status 3
(`NOTHING_KEPT`) and one line saying what failed, how many times, by reason.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from cotsynth import tasks
from cotsynth.config import ConfigError, load_config
from cotsynth.resources import find_pipeline

NOTHING_KEPT = 3
err_console = Console(stderr=True)
console = Console()


def fail(lines: list[str] | str, status: int = 2) -> None:
    for line in [lines] if isinstance(lines, str) else lines:
        err_console.print(f"[bold red]error:[/] {escape(line)}", markup=True, highlight=False, soft_wrap=True)
    sys.exit(status)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cotsynth")
def main() -> None:
    """Synthesize verified chain-of-thought training data from a pipeline YAML."""


@main.command()
@click.argument("pipeline")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), help="Output dir (overrides output.dir).")
@click.option("--executor", type=click.Choice(["ray", "local"]), default="ray", show_default=True)
@click.option("--ray-address", default=None, help="Join this Ray cluster (default: RAY_ADDRESS, else embedded).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Parallel workers (default: all CPUs).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most N problems per task (a quick try).")
@click.option("--resume", is_flag=True, help="Continue an interrupted run in the same output dir.")
@click.option("--overwrite", is_flag=True, help="Replace an existing output dir.")
def run(pipeline, out_dir, executor, ray_address, workers, limit, resume, overwrite) -> None:
    """Run PIPELINE (a YAML path, or the name of a shipped pipeline such as `quickstart`)."""
    try:
        path = find_pipeline(pipeline)
    except FileNotFoundError as err:
        fail(str(err))
    try:
        config = load_config(path, {"dir": out_dir} if out_dir else None)
    except ConfigError as err:
        fail([line if line.startswith(f"{path}:") else f"{path}: {line}" for line in err.problems])
    if executor == "local" and workers not in (None, 1):
        fail("--workers: the local executor runs in this process; use --executor ray for more workers")
    from cotsynth.pipeline.outdir import WORK, OutputDirError
    from cotsynth.pipeline.run import RunOptions, run_pipeline
    from cotsynth.run_display import RunDisplay
    from cotsynth.splits import SplitError
    from cotsynth.teacher.continuation import ContinuationError

    options = RunOptions(Path(config.output.dir), executor, workers, ray_address, limit, resume, overwrite)
    started = time.perf_counter()
    try:
        display = RunDisplay(err_console, f"{config.name} ({executor})")
    except ValueError as err:
        fail(str(err))
    with display:
        try:
            manifest = run_pipeline(config, options, on_progress=display.update)
        except OutputDirError as err:
            fail(str(err))
        except SplitError as err:
            fail(f"{path}: splits: {err} (the generated units are kept: fix the config and rerun with --resume)")
        except ContinuationError as err:
            fail(f"{path}: traces: {err}")
        except OSError as err:  # a full disk, a file size limit, a lost mount: the finished units are safe
            fail(
                f"writing {err.filename or options.out_dir}: {err.strerror or err}; the finished units are kept in "
                f"{options.out_dir / WORK}: free space and rerun with --resume"
            )
    _summary(manifest, options.out_dir, time.perf_counter() - started)
    if not rows_written(manifest):
        fail(f"{path}: kept 0 rows: {_why_nothing(manifest)}", NOTHING_KEPT)


def rows_written(manifest: dict) -> int:
    return sum(c["data"] for c in manifest["counts"]["splits"].values())


def _why_nothing(manifest: dict) -> str:
    """What failed and how often: every drop reason, the most frequent first."""
    counts = manifest["counts"]
    reasons = [f"{n} {reason}" for reason, n in sorted(counts.get("drop_reasons", {}).items(), key=lambda x: -x[1])]
    return "; ".join(reasons) or "no trace was rendered or kept"


def _summary(manifest: dict, out_dir: Path, seconds: float) -> None:
    counts = manifest["counts"]
    table = Table(title=f"cotsynth: {manifest['name']}", title_justify="left")
    for column in ("split", "problems", "rows", *[v for v in manifest["files"] if v != "data"]):
        table.add_column(column, justify="right" if column != "split" else "left")
    views = [v for v in manifest["files"] if v != "data"]
    for split, c in counts["splits"].items():
        table.add_row(split, str(c["problems"]), str(c["data"]), *[str(c[v]) for v in views])
    console.print(table)
    rendered = counts["traces"]["rendered"] or 1
    console.print(
        f"verified {counts['verify']['verified']}/{counts['traces']['rendered']} traces "
        f"({100 * counts['verify']['verified'] / rendered:.1f}%), wrote {rows_written(manifest)} rows, "
        f"dedup dropped {counts['dedup']['dropped_problems']} problems, "
        f"{seconds:.1f} s ({manifest['run']['executor']}, {manifest['run']['workers']} workers)"
    )
    for reason, n in sorted(counts.get("drop_reasons", {}).items(), key=lambda x: -x[1]):
        console.print(f"  dropped {n}: {reason}", highlight=False)
    console.print(f"output: {out_dir.resolve()}  (load with datasets.load_dataset({str(out_dir)!r}))")


@main.command()
@click.argument("out_dir", type=click.Path(exists=True, file_okay=False))
def report(out_dir) -> None:
    """Diversity, split and verification figures of an output dir."""
    import json

    from cotsynth.diversity import render_summary

    folder = Path(out_dir)
    try:
        manifest = json.loads((folder / "manifest.json").read_text())
        figures = json.loads((folder / "report.json").read_text())
    except (OSError, ValueError) as err:
        fail(f"{out_dir}: not a finished cotsynth output ({err})")
    counts = manifest["counts"]
    rendered = counts["traces"]["rendered"] or 1
    console.print(f"[bold]{manifest['name']}[/]  status {manifest['status']}, config {manifest['config_hash']}")
    console.print(
        f"verification: {counts['verify']['verified']}/{counts['traces']['rendered']} traces verified "
        f"({100 * counts['verify']['verified'] / rendered:.1f}%), {rows_written(manifest)} rows written"
    )
    for reason, n in counts.get("drop_reasons", {}).items():
        console.print(f"  dropped {n}: {reason}", highlight=False)
    if console.is_terminal:  # Markdown tables drawn as tables; piped output stays Markdown, as in the card
        from rich.markdown import Markdown

        console.print(Markdown(render_summary(figures)))
    else:
        console.print(render_summary(figures), highlight=False, markup=False)


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(exists=True, file_okay=False))
@click.option("--granularity", "granularities", default="answer,fine", show_default=True,
              help="Comma-separated granularities; one model each.")
@click.option("--steps", type=click.IntRange(min=1), default=1000, show_default=True, help="Training steps per model.")
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True, help="Models per granularity (seeds 0..K-1).")
@click.option("--task", "task_names", default=None, help="Only these tasks (comma-separated family or pipeline task names).")
@click.option("--max-rows", type=click.IntRange(min=1), default=None, help="At most N rows per split (a fixed sample).")
@click.option("--eval-rows", type=click.IntRange(min=1), default=300, show_default=True, help="Rows decoded per split.")
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True)
@click.option("--layers", type=click.IntRange(min=1), default=2, show_default=True)
@click.option("--d-model", type=click.IntRange(min=8), default=128, show_default=True)
@click.option("--vocab", type=click.Choice(["words", "bytes"]), default="words", show_default=True,
              help="Tokens: words (a word, a digit or a symbol) or bytes.")
def probe(out_dir, granularities, steps, seeds, task_names, max_rows, eval_rows, batch_size, lr, layers, d_model,
          vocab) -> None:
    """Train a tiny transformer per granularity on DIR's train rows (CPU) and score every split."""
    from cotsynth import probe as probing

    if not probing.available():
        fail(f"cotsynth probe needs torch: {probing.INSTALL}")
    from cotsynth.probe.data import ProbeDataError
    from cotsynth.probe.model import ModelSize
    from cotsynth.probe.run import run_probe
    from cotsynth.probe.train import Settings

    chosen = tuple(dict.fromkeys(g.strip() for g in granularities.split(",") if g.strip()))
    unknown = [g for g in chosen if g not in ("answer", "coarse", "fine", "code")]
    if not chosen or unknown:
        fail(f"--granularity: expected a comma-separated subset of answer, coarse, fine, code; got {granularities!r}")
    if d_model % 4:
        fail(f"--d-model: must be a multiple of 4 (4 attention heads), got {d_model}")
    names = tuple(t.strip() for t in (task_names or "").split(",") if t.strip())
    settings = Settings(chosen, steps, seeds, names, max_rows, eval_rows, batch_size, lr,
                        ModelSize(layers=layers, d_model=d_model, heads=4), vocab)

    def on_model(granularity, seed, trained, seconds, cpu_seconds) -> None:
        scores = ", ".join(f"{split} {100 * acc:.1f}%" for split, acc in trained.accuracy.items())
        err_console.print(f"{granularity} seed {seed}: {trained.train_rows} train rows, {trained.vocabulary} tokens, final loss "
                          f"{trained.losses[-1][1]:.3f}, {scores} ({seconds:.0f} s, {cpu_seconds:.0f} s CPU)", highlight=False)

    started = time.perf_counter()
    try:
        result = run_probe(Path(out_dir), settings, on_model)
    except ProbeDataError as err:
        fail(str(err))
    table = Table(title=f"probe: {out_dir} ({steps} steps, {seeds} seed{'s' if seeds > 1 else ''})", title_justify="left")
    splits = list(dict.fromkeys(s for per_split in result["results"].values() for s in per_split))
    table.add_column("granularity")
    for split in splits:
        table.add_column(split, justify="right")
    for granularity, per_split in result["results"].items():
        table.add_row(granularity, *[f"{100 * per_split[s]['mean']:.1f}% ± {100 * per_split[s]['std']:.1f}"
                                     if s in per_split else "n/a" for s in splits])
    console.print(table)
    console.print(f"{time.perf_counter() - started:.0f} s; wrote {Path(out_dir) / 'probe'}/probe.json, accuracy.png, "
                  "loss.png and the card's Probe section", highlight=False)


@main.command(name="tasks")
@click.argument("family_files", nargs=-1, type=click.Path(exists=True))
def list_tasks(family_files) -> None:
    """The task families (built-in, shipped and plugin ones, and any FAMILY_FILES or folders of them
    given), their knobs and defaults."""
    from cotsynth.tasks.declarative import FamilyFileError, family_files as files_in, load_family

    for given in map(Path, family_files):
        for path in files_in(given) if given.is_dir() else [given]:
            try:
                tasks.add(load_family(path))
            except (FamilyFileError, ValueError) as err:
                fail(f"{path}: {err}")
    for name in tasks.names():
        family = tasks.get(name)
        title = f"{name} ({tasks.origin(name)}): {family.description}"
        if not family.knobs:  # a family file: its variables are its difficulty
            console.print(f"[bold]{title}[/]", highlight=False, soft_wrap=True)
            console.print(
                f"  answer type: {family.answer_type}; granularities: {', '.join(family.granularities)}; "
                f"templates: {len(family.templates())}; no knobs\n", highlight=False, soft_wrap=True
            )
            continue
        table = Table(title=title, title_justify="left", show_edge=False)
        table.add_column("knob")
        table.add_column("default")
        table.add_column("accepts")
        table.add_column("meaning")
        for knob, spec in family.knobs.items():
            default = list(spec.default)
            table.add_row(knob, str(default), spec.describe(), spec.doc)
        console.print(table)
        console.print(
            f"  answer type: {family.answer_type}; granularities: {', '.join(family.granularities)}; "
            f"templates: {len(family.templates())}\n"
        )


def _parse_knob(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise click.BadParameter(f"{text!r}: expected NAME=VALUE (e.g. steps=3 or steps=2,5)")
    name, _, value = text.partition("=")

    def scalar(item: str) -> object:
        try:
            return int(item)
        except ValueError:
            return item

    items = [scalar(v.strip()) for v in value.split(",")] if "," in value else scalar(value.strip())
    return name.strip(), items


@main.command()
@click.argument("family")
@click.option("-n", "count", type=click.IntRange(min=1), default=3, show_default=True)
@click.option("--granularity", "granularities", multiple=True, help="Default: every granularity of the family.")
@click.option("--style", default="steps", show_default=True, type=click.Choice(["steps", "least_to_most", "self_ask"]))
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--knob", "knobs", multiple=True, help="NAME=VALUE, VALUE a number, a lo,hi range or a list.")
def preview(family, count, granularities, style, seed, knobs) -> None:
    """Show rendered problems of FAMILY and their CoT in each granularity."""
    from cotsynth.config import parse_config
    from cotsynth.traces.symbolic import render
    from cotsynth.traces.verify import verify_symbolic

    try:
        knob_values = dict(_parse_knob(k) for k in knobs)
    except click.BadParameter as err:
        fail(f"--knob {err.message}")
    document = {
        "name": "preview",
        "seed": seed,
        "tasks": [{"family": family, "count": count, "knobs": knob_values}],
        "traces": [{"source": "symbolic", "granularity": list(granularities) or list(_granularities(family)),
                    "style": style}],
        "output": {"dir": "unused"},
    }
    try:
        config = parse_config(document)
    except ConfigError as err:
        fail([line.replace("tasks[0].", "").replace("traces[0].", "--") for line in err.problems])
    spec = config.tasks[0]
    chosen = tasks.get(spec.family)  # a family file is registered by its name when the config is parsed
    settings, templates = config.knob_settings(0), chosen.templates()
    for index in range(count):
        problem = chosen.build(seed, spec.key, index, settings, templates)
        console.rule(f"{problem.id}  [{problem.template_id}]  knobs {problem.knobs}")
        console.print(f"[bold]Q:[/] {problem.question}", highlight=False)
        console.print(f"[bold]A:[/] {problem.answer}  ({problem.answer_type})", highlight=False)
        console.print(f"atoms {problem.graph.atoms()}  compounds {problem.graph.compounds()}", highlight=False)
        for granularity in config.traces[0].granularity:
            trace = render(problem, granularity, style)
            verdict = verify_symbolic(trace)
            mark = "[green]verified[/]" if verdict.verified else f"[red]NOT verified: {verdict.reason}[/]"
            console.print(f"\n[bold cyan]{granularity}[/] / {style}  {mark}")
            console.print(trace.cot or "(no CoT: answer only)", highlight=False, markup=False)
    if hasattr(chosen, "rejection_rate"):  # a family file: what its constraints cost
        console.print(f"\n{chosen.sampler} sampling; the constraints reject {chosen.rejection_rate:.1%} of draws",
                      highlight=False)


def _granularities(family: str) -> tuple[str, ...]:
    from cotsynth.tasks.declarative import DeclarativeFamily, is_family_file

    if is_family_file(family):
        return DeclarativeFamily.granularities
    try:
        return tasks.get(family).granularities
    except KeyError:
        return ("answer",)


@main.command()
@click.argument("out_dir", metavar="DIR", type=click.Path(file_okay=False))
@click.option("--repo", "repo_id", required=True, metavar="OWNER/NAME", help="Dataset repo (created if missing).")
@click.option("--private", is_flag=True, help="Create the repo private (an existing public repo is refused).")
@click.option("--revision", metavar="BRANCH", help="Commit to this branch (created from main if missing).")
@click.option("--dry-run", is_flag=True, help="List what would be uploaded and where; send nothing.")
def publish(out_dir, repo_id, private, revision, dry_run) -> None:
    """Upload the finished output DIR to the Hugging Face Hub in one commit (token: HF_TOKEN or `hf auth login`)."""
    from functools import partial

    from cotsynth.output.publish import RUN_FOLDERS, PublishError
    from cotsynth.output.publish import publish as push

    try:
        upload = push(Path(out_dir), repo_id, private=private, revision=revision, dry_run=dry_run)
    except PublishError as err:
        fail(str(err))
    target = f"{upload.url} (revision {upload.revision}, {'private' if upload.private else 'public'})"
    total = f"{len(upload.files)} files, {upload.total_bytes:,} bytes"
    say = partial(console.print, highlight=False, markup=False, soft_wrap=True)
    if not dry_run:
        say(f"published {total} to {target}\ncommit: {upload.commit_url}")
        if upload.deleted:
            say(f"deleted {len(upload.deleted)} files of an earlier publish: {', '.join(upload.deleted)}")
        return
    say(f"dry run, nothing sent: would upload to {target}")
    width = len(f"{max(size for _, size in upload.files):,}")
    for path, size in upload.files:
        say(f"  {size:>{width},}  {path}")
    say(f"total: {total}")
    folders = " ".join(RUN_FOLDERS)
    say(f"(publishing also deletes, in the same commit, files the repo has under {folders} and DIR lacks)")


@main.command(name="teacher-sim")
@click.option("--port", type=int, default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--pipeline", default=None, help="Answer the problems of this pipeline (YAML path or shipped name).")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the first N problems per task.")
@click.option("--model", default="teacher-sim", show_default=True, help="Model name listed by /v1/models.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the simulated behaviour.")
@click.option("--latency-ms", type=click.FloatRange(min=0), default=0.0, show_default=True)
@click.option("--latency-jitter-ms", type=click.FloatRange(min=0), default=0.0, show_default=True,
              help="Uniform in +-jitter around the latency.")
@click.option("--p-wrong-step", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--p-malformed", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--p-missing", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--p-429", "p_429", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--p-500", "p_500", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--p-hang", type=click.FloatRange(0, 1), default=0.0, show_default=True)
@click.option("--retry-after", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Seconds a 429 asks the client to wait.")
@click.option("--processes", type=click.IntRange(min=1), default=1, show_default=True,
              help="Server processes sharing the port (SO_REUSEPORT).")
@click.option("--chat-template/--no-chat-template", default=True, show_default=True,
              help="Report a chat template at /props (rollouts then continue through /v1/completions).")
def teacher_sim(port, host, pipeline, limit, model, seed, latency_ms, latency_jitter_ms, p_wrong_step, p_malformed,
                p_missing, p_429, p_500, p_hang, retry_after, processes, chat_template) -> None:
    """An OpenAI-compatible server playing a teacher: /v1/chat/completions, /v1/completions, /props, /v1/models, /stats."""
    from cotsynth.teacher.sim import SimKnobs, problems_of, serve_forever

    problems = []
    if pipeline:
        try:
            path = find_pipeline(pipeline)
            problems = problems_of(load_config(path), limit)
        except FileNotFoundError as err:
            fail(str(err))
        except ConfigError as err:
            fail([f"{pipeline}: {line}" for line in err.problems])
    knobs = SimKnobs(seed=seed, model=model, latency_ms=latency_ms, latency_jitter_ms=latency_jitter_ms,
                     p_wrong_step=p_wrong_step, p_malformed=p_malformed, p_missing=p_missing, p_429=p_429,
                     p_500=p_500, p_hang=p_hang, retry_after_s=retry_after, chat_template=chat_template)
    err_console.print(f"teacher-sim: {len(problems)} problems, http://{host}:{port}/v1 ({processes} process(es))")
    if processes == 1:
        serve_forever(problems, knobs, host, port)
        return
    import multiprocessing
    import signal

    context = multiprocessing.get_context("fork")  # children inherit the generated problems
    children = [context.Process(target=serve_forever, args=(problems, knobs, host, port, True)) for _ in range(processes)]
    for child in children:
        child.start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # so the children are stopped below
    try:
        for child in children:
            child.join()
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()


if __name__ == "__main__":
    main()
