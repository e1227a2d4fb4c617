"""The registry of step kinds, in data-flow order: which steps a config asks for, and the chain.

A kind is a factory `(config, workers) -> [steps]` (none when the config does not ask for it; the
teacher gives one per `source: teacher` entry; `workers` is how many workers share the run, for
budgets split among them). Adding a kind of step is one module that calls `register` (with `after=`
to place it in the data flow) plus its import below.
"""

# Registration, in data-flow order.
from cotsynth.pipeline.steps import generate, render, verify, teacher, records, outputs  # noqa: F401,I001
from cotsynth.pipeline.steps.registry import build_chain, build_steps, kinds, register

__all__ = ["build_chain", "build_steps", "kinds", "register"]
