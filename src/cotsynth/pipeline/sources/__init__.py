"""Problem sources: where a task's problems come from. A source turns a task's index range into
problems, each a pure function of (config, task, index), so units can run anywhere in any order.

The family generator (`family.py`) is the default; another source (a dataset read from JSONL,
Parquet or the Hub) is one module that registers a claim on the task specs it serves and a builder,
plus its import below.
"""

from cotsynth.pipeline.sources import dataset, family  # noqa: F401  (registration; family is the default)
from cotsynth.pipeline.sources.registry import ProblemSource, register, source_for

__all__ = ["ProblemSource", "register", "source_for"]
