"""The one vocabulary of granularities, styles and splits: config validation, rendering, the teacher
and the writer all read it from here. A record's `granularity` is one of GRANULARITIES or FREE."""

from __future__ import annotations

GRANULARITIES = ("answer", "coarse", "fine", "code")  # rendered from a step graph (`traces`)
EVERY_FAMILY = ("answer", "coarse", "fine")  # the granularities every family renders (`code` where natural)
FREE = "free"  # a teacher's trace: it words its own steps, no graph-defined granularity
STYLES = ("steps", "least_to_most", "self_ask")
SPLITS = ("train", "validation", "test")
