"""The pipeline YAML, validated in full before any work starts.

Every problem is reported as one line `<yaml path>: <reason>` (e.g. `tasks[0].knobs.steps: range
[6, 2] is inverted (min > max)`), so a user sees which key to fix without reading a traceback.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from cotsynth import tasks
from cotsynth.diversity.config import DiversityConfig
from cotsynth.output.views import VIEWS
from cotsynth.schema import dumps
from cotsynth.sources.config import DatasetSpec
from cotsynth.splits.config import SplitsConfig
from cotsynth.resources import find_template
from cotsynth.tasks.knobs import KnobError, resolve_knobs
from cotsynth.core.vocabulary import GRANULARITIES, STYLES


class ConfigError(ValueError):
    """One or more `path: reason` lines describing what is wrong with a pipeline config."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TaskSpec(_Strict):
    family: str | None = Field(default=None, description="a built-in family; or give `dataset`")
    dataset: DatasetSpec | None = Field(default=None, description="problems from a dataset (docs/teacher.md)")
    count: int | None = Field(default=None, gt=0, description="problems of a family; a dataset's first N rows")
    knobs: dict[str, Any] = Field(default_factory=dict)
    templates: list[str] | None = Field(default=None, min_length=1)
    name: str | None = Field(default=None, description="task key; defaults to the family name")

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


class Endpoint(_Strict):
    base_url: str = Field(min_length=1)
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
    timeout: float = Field(120.0, gt=0, description="seconds per request")
    max_retries: int = Field(6, ge=0)
    prompt_template: str = Field("default", min_length=1, description="a file under templates/teacher/ or a path")
    few_shot: int = Field(2, ge=0, le=16, description="symbolic exemplars of the same family in the prompt")
    cache_dir: str | None = Field(default=None, description="default: <output.dir>/teacher_cache")
    price_per_million_input: float | None = Field(default=None, ge=0)
    price_per_million_output: float | None = Field(default=None, ge=0)
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


class OutputConfig(_Strict):
    dir: str
    shard_rows: int = Field(50_000, gt=0)
    formats: list[Literal[tuple(VIEWS)]] = Field(default_factory=list)  # type: ignore[valid-type]
    answer_format: Literal["boxed", "answer_line"] = "boxed"
    license: str = "apache-2.0"


class PipelineConfig(_Strict):
    name: str = Field(min_length=1)
    seed: int = Field(0, ge=0)
    tasks: list[TaskSpec] = Field(min_length=1)
    traces: list[TraceSpec] = Field(min_length=1)
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

    def canonical(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        for task in data["tasks"]:  # family tasks dump as before this key existed (same config hash)
            if task["dataset"] is None:
                del task["dataset"]
        if data["splits"]["heldout_values"] is None:
            del data["splits"]["heldout_values"]
        for trace in data["traces"]:
            if trace["source"] == "teacher" and trace["step_labels"] == "claims" and trace["format"] == "prose" \
                    and trace["rollouts"] == Rollouts().model_dump():
                del trace["step_labels"], trace["format"], trace["rollouts"]
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
            resolve_knobs(family.knobs, spec.knobs)
        except KnobError as err:
            problems.append(f"tasks[{i}].knobs.{err}")
        if spec.templates is not None:
            known = {t.id for t in family.templates()}
            unknown = [t for t in spec.templates if t not in known and f"{family.name}/{t}" not in known]
            if unknown:
                problems.append(f"tasks[{i}].templates: unknown template(s) {unknown}; known: {sorted(known)}")
        for j, trace in enumerate(config.traces):
            if trace.source != "symbolic":
                continue
            missing = [g for g in trace.granularity if g not in family.granularities]
            if missing:
                problems.append(
                    f"traces[{j}].granularity: family {family.name!r} has no {missing} granularity "
                    f"(it has {list(family.granularities)})"
                )
    for j, trace in enumerate(config.traces):
        if trace.source == "teacher":
            try:
                find_template(trace.prompt_template)
            except FileNotFoundError as err:
                problems.append(f"traces[{j}].prompt_template: {err}")
    return problems


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

    `base_dir` is where a dataset task's relative path starts (the pipeline file's folder)."""
    if not isinstance(data, dict):
        raise ConfigError([f"(top level): expected a mapping of pipeline keys, got {type(data).__name__}"])
    if overrides:
        data = {**data, "output": {**(data.get("output") or {}), **overrides}}
    try:
        config = PipelineConfig.model_validate(data)
    except ValidationError as err:
        raise ConfigError([f"{_path(e['loc'])}: {e['msg']}" for e in err.errors()]) from None
    config._base_dir = str(Path(base_dir).absolute())
    problems = _semantic_problems(config)
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PipelineConfig:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError([f"{path}: cannot read ({err.strerror})"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError([f"{path}: invalid YAML{where}: {getattr(err, 'problem', err)}"]) from None
    return parse_config(data, overrides, path.parent)
