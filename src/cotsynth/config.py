"""The pipeline YAML, validated in full before any work starts.

Every problem is reported as one line `<yaml path>: <reason>` (e.g. `tasks[0].knobs.steps: range
[6, 2] is inverted (min > max)`), so a user sees which key to fix without reading a traceback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

import jinja2
import yaml
from pydantic import (
    AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, StrictInt, ValidationError, model_validator,
)

from cotsynth import tasks
from cotsynth.diversity.config import DiversityConfig
from cotsynth.output.views import VIEWS
from cotsynth.schema import dumps
from cotsynth.sources.config import DatasetSpec
from cotsynth.splits.config import SplitsConfig
from cotsynth.resources import find_template
from cotsynth.templating import check_template, render_prompt
from cotsynth.tasks.knobs import KnobError, resolve_knobs
from cotsynth.core.vocabulary import GRANULARITIES, STYLES
from cotsynth.yamlsafe import YamlLimitError, load_file

MAX_ROWS = 1_000_000_000  # problems x rows per problem of one run: past this, planning alone exhausts memory


class ConfigError(ValueError):
    """One or more `path: reason` lines describing what is wrong with a pipeline config."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _file_name_safe(value: str | None) -> str | None:
    """A task key names files: no path separators, NUL or leading dot."""
    if value is not None and (not value.strip() or any(c in value for c in "/\\\0") or value.startswith(".")):
        raise ValueError("must not be empty, contain '/', '\\' or a NUL byte, or start with '.'")
    return value


def _output_dir(value: str) -> str:
    if not value.strip() or "\0" in value or value.strip() in ("/", ".", "./"):
        raise ValueError("must name a directory of its own (not empty, '/', '.' or containing a NUL byte)")
    return value


def _http_url(value: str) -> str:
    """http(s) with a host; no user:password@, which would be written into the manifest and the card
    (and which the client cannot send beside its API key): the key goes in `api_key_env`."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"must be an http:// or https:// URL with a host, got {redact_url(value)!r}")
    if "@" in parts.netloc:
        raise ValueError(f"credentials in the URL are not accepted ({redact_url(value)!r}): put the key in the "
                         "environment variable named by api_key_env")
    return value


def redact_url(url: str) -> str:
    """The URL with any user:password@ replaced by `***@`, for messages."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rsplit("@", 1)[1]))


class TaskSpec(_Strict):
    family: str | None = Field(default=None, description="a built-in family; or give `dataset`")
    dataset: DatasetSpec | None = Field(default=None, description="problems from a dataset (docs/teacher.md)")
    count: StrictInt | None = Field(default=None, gt=0, le=MAX_ROWS, description="problems of a family; a dataset's first N rows")
    knobs: dict[str, Any] = Field(default_factory=dict)
    templates: list[str] | None = Field(default=None, min_length=1)
    name: Annotated[str | None, AfterValidator(_file_name_safe)] = Field(
        default=None, description="task key; defaults to the family name")
    traces: list[SymbolicTraces] | None = Field(
        default=None, min_length=1, description="this task's symbolic traces, instead of the pipeline's `traces`"
    )

    @model_validator(mode="after")
    def _one_source(self) -> TaskSpec:
        if (self.family is None) == (self.dataset is None):
            raise ValueError("give either `family` or `dataset`")
        if self.family is not None and self.count is None:
            raise ValueError("`count` is required for a family task")
        if self.dataset is not None and self.name is None:
            raise ValueError("a dataset task needs a `name`")
        if self.dataset is not None and (self.knobs or self.templates):
            raise ValueError("`knobs` and `templates` apply to family tasks only")
        return self

    @property
    def key(self) -> str:
        return self.name or self.family  # type: ignore[return-value]


class SymbolicTraces(_Strict):
    source: Literal["symbolic"]
    granularity: Annotated[list[Literal[GRANULARITIES]], BeforeValidator(_as_list)] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["fine"], min_length=1
    )
    style: Annotated[list[Literal[STYLES]], BeforeValidator(_as_list)] = Field(  # type: ignore[valid-type]
        default_factory=lambda: ["steps"], min_length=1
    )
    negatives: int = Field(0, ge=0, le=16, description="error-injected fine traces per problem and style (PRM)")


TaskSpec.model_rebuild()


class Endpoint(_Strict):
    base_url: Annotated[str, AfterValidator(_http_url)] = Field(min_length=1)
    model: str = Field(min_length=1)
    api_key_env: str | None = Field(default="OPENAI_API_KEY", description="env var holding the key; unset = no key")


class Sampling(_Strict):
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(1024, gt=0)
    seed: int | None = Field(default=None, description="sent per sample as hash(seed, problem, sample) when set")


class Rollouts(_Strict):
    """Math-Shepherd step labels: per step prefix, `per_step` continuations from the same teacher."""

    per_step: int = Field(4, gt=0, le=64)
    max_steps: int = Field(12, gt=0, le=256, description="traces with more steps are not rolled out (unlabelled)")
    mode: Literal["auto", "continue_final_message", "completions"] = Field(
        "auto", description="how a prefix is continued (docs/teacher.md): vLLM's chat flags, or /v1/completions on "
                            "the chat template; auto: completions when a template is known, else the flags")
    chat_template: str | None = Field(
        default=None, description="a jinja chat template file (relative to the pipeline file) for completions; "
                                  "default: the server's, from /props")


class TeacherTraces(_Strict):
    """CoT sampled from an OpenAI-compatible endpoint (docs/teacher.md)."""

    source: Literal["teacher"]
    endpoint: Endpoint
    sampling: Sampling = Field(default_factory=Sampling)
    samples: int = Field(1, gt=0, le=64)
    keep: Literal["all", "verified", "best", "first_verified"] = "verified"
    max_concurrency: int = Field(64, gt=0)
    requests_per_minute: float | None = Field(default=None, gt=0)
    tokens_per_minute: float | None = Field(default=None, gt=0)
    timeout: float = Field(120.0, gt=0, le=86_400, description="seconds per attempt, the whole response included")
    max_retries: int = Field(6, ge=0)
    prompt_template: str = Field("default", min_length=1, description="a file under templates/teacher/ or a path")
    few_shot: int = Field(2, ge=0, le=16, description="symbolic exemplars of the same family in the prompt")
    cache_dir: str | None = Field(default=None, description="default: <output.dir>/.cotsynth-cache")
    price_per_million_input: float | None = Field(default=None, ge=0)
    price_per_million_output: float | None = Field(default=None, ge=0)
    max_response_kb: int = Field(1024, gt=0, le=1 << 20, description="a longer (decompressed) body is a failure")
    step_labels: Literal["none", "claims", "rollouts"] = Field(
        "claims", description="claims: checked exactly (against the step graph for families); rollouts: Math-Shepherd")
    rollouts: Rollouts = Field(default_factory=lambda: Rollouts())
    format: Literal["prose", "program"] = Field("prose", description="program: a Python program printing the answer, run in the sandbox")

    @model_validator(mode="after")
    def _labels_fit_format(self) -> TeacherTraces:
        if self.format == "program" and self.step_labels == "rollouts":
            raise ValueError("step_labels `rollouts` continue prose steps; `format: program` has none (use `none` or `claims`)")
        return self


TraceSpec = Annotated[SymbolicTraces | TeacherTraces, Field(discriminator="source")]


class SftOptions(_Strict):
    include_unverified: bool = Field(
        False, description="also unverified traces (teacher `keep: all`/`best`), each ending in its own predicted "
                           "answer; error-injected negatives never enter sft"
    )


class PrmOptions(_Strict):
    stop_at_first_error: bool = Field(
        False, description="cut each row after its first False step (Math-Shepherd style: later steps unlabelled)"
    )


class OutputConfig(_Strict):
    dir: Annotated[str, AfterValidator(_output_dir)]
    shard_rows: int = Field(50_000, gt=0)
    formats: list[Literal[tuple(VIEWS)]] = Field(default_factory=list)  # type: ignore[valid-type]
    sft: SftOptions = Field(default_factory=SftOptions)
    prm: PrmOptions = Field(default_factory=PrmOptions)
    answer_format: Literal["boxed", "answer_line"] = "boxed"
    license: str = "apache-2.0"


class PipelineConfig(_Strict):
    name: str = Field(min_length=1)
    seed: StrictInt = Field(0, ge=0, lt=2**63)
    families_dir: str | None = Field(default=None, description="family files registered by name (docs/families.md)")
    families: dict[str, dict[str, Any]] = Field(default_factory=dict, description="family documents inline, by name")
    tasks: list[TaskSpec] = Field(min_length=1)
    traces: list[TraceSpec] = Field(default_factory=list, description="every task's, unless it sets its own")
    splits: SplitsConfig = Field(default_factory=SplitsConfig)
    diversity: DiversityConfig = Field(default_factory=DiversityConfig)
    output: OutputConfig
    _base_dir: str = PrivateAttr(default=".")  # where a dataset's relative path starts: the pipeline file's folder

    @property
    def base_dir(self) -> str:
        return self._base_dir

    def knob_settings(self, task_index: int) -> dict[str, Any]:
        spec = self.tasks[task_index]
        if spec.family is None:
            return {}
        return resolve_knobs(tasks.get(spec.family).knobs, spec.knobs)

    def traces_for(self, task_index: int) -> list[TraceSpec]:
        """A task's trace entries: its own (symbolic) `traces` when it sets them, else the pipeline's."""
        own = self.tasks[task_index].traces
        return list(own) if own is not None else list(self.traces)

    def all_traces(self) -> list[TraceSpec]:
        """Every trace entry of the run, the pipeline's first, each once."""
        found = list(self.traces)
        for spec in self.tasks:
            found += [t for t in spec.traces or [] if t not in found]
        return found

    def canonical(self) -> dict[str, Any]:
        """The config as a document `parse_config` reads back (Ray actors do): family files resolved
        into `families`, so the hash covers their content and no path is needed to rebuild them; keys
        left at their defaults by a dataset or teacher feature are left out, as before those existed."""
        data = self.model_dump(mode="json")
        data.pop("families_dir")
        if not data["families"]:
            data.pop("families")
        for task in data["tasks"]:
            if task["dataset"] is None:
                del task["dataset"]
        if data["splits"]["heldout_values"] is None:
            del data["splits"]["heldout_values"]
        for trace in data["traces"]:
            if trace["source"] == "teacher" and trace["step_labels"] == "claims" and trace["format"] == "prose" \
                    and trace["rollouts"] == Rollouts().model_dump():
                del trace["step_labels"], trace["format"], trace["rollouts"]
            elif trace["source"] == "teacher":  # keys added later, left out at their defaults: the hash holds
                for key in ("mode", "chat_template"):
                    if trace["rollouts"][key] == Rollouts.model_fields[key].default:
                        del trace["rollouts"][key]
        return data

    def hash(self) -> str:
        return hashlib.sha256(dumps(self.canonical()).encode()).hexdigest()[:16]


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in ("symbolic", "teacher") and text.endswith("]"):
            continue  # the tag pydantic adds inside a discriminated union
        elif str(part).startswith("function-"):
            continue
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _semantic_problems(config: PipelineConfig) -> list[str]:
    """Checks that need the task registry: families, knobs, templates, granularities."""
    problems = []
    seen: set[str] = set()
    for i, spec in enumerate(config.tasks):
        if spec.dataset is not None:
            if spec.key in seen:
                problems.append(f"tasks[{i}].name: task key {spec.key!r} is used twice; give each task a distinct name")
            seen.add(spec.key)
            problems.extend(_dataset_problems(config, i))
            continue
        if spec.family not in tasks.names():
            problems.append(f"tasks[{i}].family: unknown family {spec.family!r}; known: {', '.join(tasks.names())}")
            continue
        family = tasks.get(spec.family)
        if spec.key in seen:
            problems.append(f"tasks[{i}].name: task key {spec.key!r} is used twice; give each task a distinct name")
        seen.add(spec.key)
        try:
            resolved = resolve_knobs(family.knobs, spec.knobs)
        except KnobError as err:
            problems.append(f"tasks[{i}].knobs.{err}")
        else:
            problems.extend(f"tasks[{i}].knobs.{problem}" for problem in family.knob_problems(resolved, spec.count))
        if spec.templates is not None:
            known = {t.id for t in family.templates()}
            unknown = [t for t in spec.templates if t not in known and f"{family.name}/{t}" not in known]
            if unknown:
                problems.append(f"tasks[{i}].templates: unknown template(s) {unknown}; known: {sorted(known)}")
        if spec.traces is None and not config.traces:
            problems.append(f"tasks[{i}].traces: no trace entries; set `traces` for the pipeline or for this task")
        own = spec.traces is not None
        for j, trace in enumerate(config.traces_for(i)):
            if trace.source != "symbolic":
                continue
            where = f"tasks[{i}].traces[{j}]" if own else f"traces[{j}]"
            missing = [g for g in trace.granularity if g not in family.granularities]
            if missing:
                problems.append(
                    f"{where}.granularity: family {family.name!r} has no {missing} granularity "
                    f"(it has {list(family.granularities)}); give this task its own `traces`"
                )
            if trace.negatives and not _has_negatives(config, i):
                problems.append(f"{where}.negatives: family {family.name!r} has no error model for negatives "
                                f"(see docs/traces.md); give this task its own `traces` without negatives")
    rows = sum((spec.count or 0) * _rows_per_problem(config.traces_for(i)) for i, spec in enumerate(config.tasks))
    if rows > MAX_ROWS:
        problems.append(
            f"tasks[*].count: {sum(t.count or 0 for t in config.tasks):,} problems make {rows:,} rows, more "
            f"than the {MAX_ROWS:,} rows a run can hold; split it into several runs"
        )
    for j, trace in enumerate(config.traces):
        if trace.source == "teacher":
            try:
                check_template(find_template(trace.prompt_template))
            except FileNotFoundError as err:
                problems.append(f"traces[{j}].prompt_template: {err}")
            except jinja2.TemplateError as err:
                problems.append(f"traces[{j}].prompt_template: cannot render: {type(err).__name__}: {err}")
            if trace.rollouts.chat_template:
                problems += _chat_template_problems(config, j)
    return problems


def chat_template_file(path: str, base_dir: str) -> Path:
    """A rollout chat template's file: relative paths start at the pipeline file's folder."""
    found = Path(path)
    return found if found.is_absolute() else Path(base_dir) / found


def _chat_template_problems(config: PipelineConfig, j: int) -> list[str]:
    """A configured chat template must be a readable file that renders a continued chat."""
    chat = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "step\n"}]
    try:
        source = chat_template_file(config.traces[j].rollouts.chat_template, config.base_dir).read_text(encoding="utf-8")
        render_prompt(source, chat)
    except OSError as err:
        return [f"traces[{j}].rollouts.chat_template: cannot read ({err.strerror})"]
    except (jinja2.TemplateError, ValueError, UnicodeDecodeError) as err:
        return [f"traces[{j}].rollouts.chat_template: cannot render: {type(err).__name__}: {err}"]
    return []


def _has_negatives(config: PipelineConfig, task_index: int) -> bool:
    from cotsynth.traces.negatives import supports_negatives

    spec = config.tasks[task_index]
    family = tasks.get(spec.family)
    try:
        sample = family.build(config.seed, spec.key, 0, config.knob_settings(task_index), family.templates(spec.templates))
    except (KnobError, ValueError):
        return True  # reported by the knob checks
    return supports_negatives(family.name, sample)


def _rows_per_problem(traces: list) -> int:
    """The records one problem can give: each symbolic (granularity, style) and negative, each teacher sample."""
    return sum((len(t.granularity) + t.negatives) * len(t.style) if t.source == "symbolic" else t.samples for t in traces)


def _dataset_problems(config: PipelineConfig, i: int) -> list[str]:
    """A dataset task: its source must open and hold the named columns; symbolic traces need a family."""
    from cotsynth.sources.dataset import DatasetError, check_columns

    problems = [f"traces[{j}].source: `symbolic` traces need a step graph, and tasks[{i}] ({config.tasks[i].key}) "
                "is a dataset task; use `source: teacher`"
                for j, trace in enumerate(config.traces) if trace.source == "symbolic"]
    try:
        check_columns(config.tasks[i].dataset, config.base_dir, config.tasks[i].count)
    except DatasetError as err:
        problems.append(f"tasks[{i}].dataset.{err.key}: {err}")
    return problems


def parse_config(data: Any, overrides: dict[str, Any] | None = None, base_dir: str | Path = ".") -> PipelineConfig:
    """Validate a loaded YAML document; raises ConfigError with every problem found.

    `base_dir` is the pipeline file's folder, where family files and a dataset task's relative path start."""
    if not isinstance(data, dict):
        raise ConfigError([f"(top level): expected a mapping of pipeline keys, got {type(data).__name__}"])
    if overrides:
        data = {**data, "output": {**(data.get("output") or {}), **overrides}}
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError([f"{_path(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in err.errors()]) from None
    config._base_dir = str(Path(base_dir).absolute())
    from cotsynth.tasks.declarative.resolve import resolve_families

    problems = resolve_families(config, Path(base_dir))
    if problems:
        raise ConfigError(problems)
    problems = _semantic_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    path = Path(path)
    try:
        data = load_file(path)
    except OSError as err:
        raise ConfigError([f"{path}: cannot read ({err.strerror})"]) from None
    except UnicodeDecodeError:
        raise ConfigError([f"{path}: not UTF-8 text"]) from None
    except YamlLimitError as err:
        raise ConfigError([f"{path}: refused: {err}"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([f"{path}: invalid YAML{where}: {getattr(err, 'problem', err)}"]) from None
    return parse_config(data, overrides, path.parent)
