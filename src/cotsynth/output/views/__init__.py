"""Training views derived from canonical records: the layouts SFT, RL and PRM trainers read as is.

A view is one module here that registers a `View`: its Arrow schema, its row builder, which records
give a row (its rows-per-problem rule, the one place that rule lives) and how its rows are placed in
a split. Rows are built in the workers, per unit (`unit_views`), which also count each problem's rows
per view; the driver only routes rows to their problem's split and calls `place` (rl numbers its rows
per split). Adding a view is one file plus its import below.
"""

from cotsynth.output.views import sft, rl, prm  # noqa: F401,I001  (registration, in output order)
from cotsynth.output.views.registry import VIEWS, View, register, unit_views

__all__ = ["VIEWS", "View", "register", "unit_views"]
