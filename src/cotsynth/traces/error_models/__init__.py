"""Per-family models of the mistakes models make, for error-injected negatives (traces/negatives.py).

One module per family model, each registering itself by family name (registry.py). The kinds follow
the error types reported for LLM reasoning: arithmetic slips (carry and borrow errors, Faith and Fate;
calculation errors, GSM8K/PRM800K/ProcessBench taxonomies), copy errors that misread an operand, sign
errors, a dropped term, a wrong operation or rule applied, a wrong fact recalled in knowledge chains
(the hallucinated hop), and a rule applied at the wrong position.

Families without a model of their own fall back on the graph: a family file's steps get the
declarative model (its nodes recompute from their expressions, integers and decimals alike), any
other graph whose nodes are all binary `add`/`sub`/`mul`/`div` the arithmetic one. Anything else
has no negatives (the config says so, naming the family).
"""

from __future__ import annotations

import importlib
import pkgutil

from cotsynth.core.graph import StepGraph
from cotsynth.traces.error_models import arithmetic, declarative
from cotsynth.traces.error_models.base import ErrorModel
from cotsynth.traces.error_models.registry import MODELS

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    importlib.import_module(f"{__name__}.{_module}")  # each family's module registers its model

__all__ = ["ErrorModel", "error_model"]


def error_model(family: str, graph: StepGraph | None = None) -> ErrorModel | None:
    """The family's model; else the declarative one for a family file; else the arithmetic one when
    every node of `graph` is binary arithmetic."""
    if family in MODELS:
        return MODELS[family]
    if declarative.is_declarative(family):
        return declarative.MODEL
    if graph is not None and arithmetic.ArithmeticModel.handles(graph):
        return arithmetic.MODEL
    return None
