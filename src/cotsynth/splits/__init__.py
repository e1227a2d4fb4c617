"""Train/test/validation splits of a problems table: seeded strategies, checks and leakage removal."""

from cotsynth.splits.assign import assign
from cotsynth.splits.config import SplitsConfig
from cotsynth.splits.errors import SplitError
from cotsynth.splits.leakage import leakage

__all__ = ["SplitError", "SplitsConfig", "assign", "leakage"]
