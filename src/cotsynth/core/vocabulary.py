"""The one vocabulary of granularities, styles and splits: config validation, rendering, the teacher
and the writer all read it from here."""

from __future__ import annotations

GRANULARITIES = ("answer", "coarse", "fine", "code")  # rendered from a step graph (`traces`)
FREE = "free"  # a teacher's trace: it words its own steps, no graph-defined granularity
RECORD_GRANULARITIES = (*GRANULARITIES, FREE)  # what a record's `granularity` may hold
STYLES = ("steps", "least_to_most", "self_ask")
SPLITS = ("train", "validation", "test")
