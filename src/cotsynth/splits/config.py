"""The `splits:` section of a pipeline YAML: one strategy and its parameters."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class DifficultyParams(BaseModel):
    """Train where `knob` <= threshold, test where it is larger (extrapolation in length/hops/digits)."""

    model_config = ConfigDict(extra="forbid")

    knob: str = Field(min_length=1, description="a numeric knob name, or `complexity` for the graph size")
    threshold: float | None = Field(None, description="default: the quantile that leaves ~test_fraction in test")


class HeldoutParams(BaseModel):
    """Which compounds/templates go to test only: `count` chosen by seed, or an explicit `names` list."""

    model_config = ConfigDict(extra="forbid")

    count: int | None = Field(None, gt=0)
    names: list[str] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _one_of(self) -> HeldoutParams:
        if self.count is not None and self.names is not None:
            raise ValueError("give either `count` or `names`, not both")
        return self


class HeldoutValuesParams(BaseModel):
    """Rows whose source column (a dataset's topic, level, ...) takes a held-out value go to test."""

    model_config = ConfigDict(extra="forbid")

    column: str = Field(min_length=1, description="a source column (a scalar column of the dataset)")
    values: list[str | int | float | bool] | None = Field(None, min_length=1)
    count: int | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _one_of(self) -> HeldoutValuesParams:
        if self.count is not None and self.values is not None:
            raise ValueError("give either `count` or `values`, not both")
        return self


class HeldoutEntitiesParams(BaseModel):
    """Entity-level OOD (Grokked Transformers): a seeded `fraction` of the entities, or the given
    `names`, are held out; every inferred problem (more than one step: a multi-hop chain or a
    comparison) touching one goes to test. Their atomic facts stay in train (`atomic: train`, as the
    paper does) or go to test too (`atomic: test`)."""

    model_config = ConfigDict(extra="forbid")

    fraction: float | None = Field(None, gt=0, lt=1, description="share of the entities held out (default 0.1)")
    names: list[str] | None = Field(None, min_length=1)
    atomic: Literal["train", "test"] = "train"

    @model_validator(mode="after")
    def _one_of(self) -> HeldoutEntitiesParams:
        if self.fraction is not None and self.names is not None:
            raise ValueError("give either `fraction` or `names`, not both")
        return self


class MCDParams(BaseModel):
    """Maximum compound divergence (CFQ) with the atom divergence under a hard bound, or a split at
    a chosen compound divergence (`target_compound_divergence`; a list gives one split per target)."""

    model_config = ConfigDict(extra="forbid")

    max_atom_divergence: float = Field(0.02, ge=0, le=1, description="hard bound on test-vs-train atom divergence")
    iterations: int = Field(4000, ge=1, le=1_000_000, description="local-search steps in all, over every round")
    restarts: int = Field(12, ge=1, le=1000, description="rounds of the iterated local search")
    size_tolerance: float = Field(0.1, ge=0, lt=1, description="allowed relative deviation of the test size")
    target_compound_divergence: float | list[float] | None = Field(
        None, description="build the split at this D_C (or one per value) instead of the maximum"
    )

    @model_validator(mode="after")
    def _targets_in_range(self) -> MCDParams:
        for t in self.targets():
            if t is not None and not 0 <= t <= 1:
                raise ValueError(f"target_compound_divergence must be in [0, 1] (got {t})")
        if isinstance(self.target_compound_divergence, list) and not self.target_compound_divergence:
            raise ValueError("target_compound_divergence is an empty list")
        return self

    def targets(self) -> list[float | None]:
        """The targets in order (None: the maximum); the first one is the run's `split` column."""
        t = self.target_compound_divergence
        return list(t) if isinstance(t, list) else [t]


class CompoundsParams(BaseModel):
    """Which compounds the splits and the report's divergences count (see `splits.compounds`)."""

    model_config = ConfigDict(extra="forbid")

    max_size: Literal[2, 3] = Field(2, description="2: parent>child pairs; 3: also 3-step sub-graphs (CFQ-style)")


class SplitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["iid", "difficulty", "heldout_compounds", "heldout_templates", "heldout_entities", "heldout_values",
                      "mcd"] = "iid"
    test_fraction: float = Field(0.1, gt=0, lt=1)
    validation_fraction: float = Field(0.0, ge=0, lt=1)
    keep_in_train: dict[str, list[int | float | str]] | None = Field(
        None, description="knob -> values: problems with one of these recorded knob values are always in train "
        "(never test or validation), e.g. `{hops: [1]}` keeps every atomic fact of kg_compose in train",
    )
    difficulty: DifficultyParams | None = None
    heldout_compounds: HeldoutParams | None = None
    heldout_templates: HeldoutParams | None = None
    heldout_entities: HeldoutEntitiesParams | None = None
    heldout_values: HeldoutValuesParams | None = None
    mcd: MCDParams | None = None
    compounds: CompoundsParams = Field(default_factory=CompoundsParams)
    leakage: Literal["auto", "move", "drop"] = Field(
        "auto", description="what to do with a duplicate crossing splits; auto: move for iid, drop otherwise"
    )

    @model_validator(mode="after")
    def _consistent(self) -> SplitsConfig:
        if self.test_fraction + self.validation_fraction >= 1:
            raise ValueError(
                f"test_fraction + validation_fraction must be < 1 (got {self.test_fraction} + {self.validation_fraction})"
            )
        if self.strategy == "difficulty" and self.difficulty is None:
            raise ValueError("strategy `difficulty` needs `difficulty: {knob: NAME, threshold: T}`")
        if self.strategy == "heldout_values" and self.heldout_values is None:
            raise ValueError("strategy `heldout_values` needs `heldout_values: {column: NAME, values: [...]}` or a count")
        params = {"difficulty", "heldout_compounds", "heldout_templates", "heldout_entities", "heldout_values", "mcd"}
        stray = sorted(p for p in params - {self.strategy} if getattr(self, p) is not None)
        if stray:
            raise ValueError(f"parameters {stray} do not apply to strategy `{self.strategy}`")
        return self
