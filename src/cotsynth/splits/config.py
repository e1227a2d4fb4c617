"""The `splits:` section of a pipeline YAML."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class SplitsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    strategy: Literal["iid"] = "iid"
    test_fraction: float = Field(0.1, gt=0, lt=1)
