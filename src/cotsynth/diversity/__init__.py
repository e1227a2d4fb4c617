"""Diversity: deduplication, metrics and report, and diversity-aware selection of problems.

Heavy dependencies (Pillow, sentence-transformers/torch) are imported lazily, only when a plot is
drawn or an embedding computed.
"""

from cotsynth.diversity.config import DiversityConfig, SelectConfig
from cotsynth.diversity.dedup import dedup
from cotsynth.diversity.reporting import DiversityReport, report
from cotsynth.diversity.selection import compare_selection, select
from cotsynth.diversity.summary import render_summary

__all__ = [
    "DiversityConfig",
    "DiversityReport",
    "SelectConfig",
    "compare_selection",
    "dedup",
    "render_summary",
    "report",
    "select",
]
