"""The `dataset:` key of a task: where its problems come from and which columns hold what."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class DatasetSpec(BaseModel):
    """A set of problems someone already has: a local file or folder, or a Hub dataset name."""

    model_config = ConfigDict(extra="forbid")

    path: str = Field(min_length=1, description=".jsonl/.json/.parquet/.csv relative to the pipeline file, a folder, or a Hub name")
    config: str | None = Field(default=None, description="Hub config name, as in datasets.load_dataset")
    split: str = "train"
    revision: str | None = None
    question: str = Field("question", min_length=1, description="the question column")
    answer: str = Field("answer", min_length=1, description="the gold column")
    answer_extract: Literal["none", "boxed", "gsm8k", "last_number"] = "none"
    id: str | None = Field(default=None, description="an id column; else the row index")
