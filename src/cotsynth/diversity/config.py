"""The `diversity:` section of a pipeline YAML."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DiversityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dedup: Literal["none", "exact"] = "exact"
    threshold: float = Field(0.9, gt=0, le=1)
