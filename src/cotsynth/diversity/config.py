"""The `diversity:` section of a pipeline YAML: dedup, the report's sample sizes, and selection."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SelectConfig(BaseModel):
    """Diversity-aware subset selection of the train split to `size` rows."""

    model_config = ConfigDict(extra="forbid")

    size: int = Field(gt=0, description="number of train rows to keep")
    by: Literal["compounds", "minhash"] = Field(
        "compounds",
        description="compounds: greedy coverage of structures; minhash: farthest-point over signatures",
    )


class DiversityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dedup: Literal["none", "exact", "minhash", "problem"] = Field(
        "exact",
        description="exact: same normalized question; minhash: also near-duplicate questions; problem: same "
                    "problem key (the family's canonical inputs, whatever the template or wording)",
    )
    threshold: float = Field(
        0.9, gt=0, le=1, description="estimated Jaccard of word 3-grams at or above which two questions are near duplicates"
    )
    select: SelectConfig | None = None
    sample_size: int = Field(
        1000, ge=10, le=20000, description="seeded sample for the quadratic/cubic metrics (exact Vendi, self-BLEU)"
    )
    embed: Literal["auto", "off"] = Field(
        "auto", description="auto: embedding Vendi when the `embed` extra is installed"
    )
    embed_sample_size: int = Field(512, ge=10, le=20000)
