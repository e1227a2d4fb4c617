"""The teacher figures of a run's manifest, summed over the units' stats.

Per teacher: problems by outcome (in = kept + rejected + failed), samples by outcome, requests sent,
cache hits, retries, failures by reason, tokens in/out, latency percentiles and, where a price per
token is configured, the cost of the requests this run actually sent (cache hits are free).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from cotsynth.config import PipelineConfig


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(-(-q * len(ordered) // 100)) - 1))], 2)


def aggregate(config: PipelineConfig, stats: list[dict[str, Any]]) -> list[dict[str, Any]]:
    specs = [s for s in config.traces if s.source == "teacher"]
    out = []
    for position, spec in enumerate(specs):
        problems: Counter[str] = Counter()
        samples: Counter[str] = Counter()
        counters: Counter[str] = Counter()
        attempt_errors: Counter[str] = Counter()
        failures: Counter[str] = Counter()
        latencies: list[float] = []
        rollouts: Counter[str] = Counter()
        modes: set[str] = set()
        for unit in stats:
            if len(unit.get("teacher", [])) <= position or unit["teacher"][position] is None:
                continue  # the unit's task sets its own traces
            entry = unit["teacher"][position]
            problems.update(entry["problems"])
            samples.update(entry["samples"])
            client = entry["client"]
            counters.update({k: client[k] for k in ("requests", "cache_hits", "retries", "answered", "tokens_in", "tokens_out")})
            attempt_errors.update(client["attempt_errors"])
            failures.update(client["failures"])
            latencies.extend(client["latencies_ms"])
            done = dict(client.get("rollouts", {}))
            modes.update([done.pop("mode")] if "mode" in done else [])
            rollouts.update(done)
        cost = None
        if spec.price_per_million_input is not None or spec.price_per_million_output is not None:
            cost = round((counters["tokens_in"] * (spec.price_per_million_input or 0)
                          + counters["tokens_out"] * (spec.price_per_million_output or 0)) / 1e6, 6)
        figures: dict[str, Any] = {
            "source": f"teacher:{spec.endpoint.model}",
            "keep": spec.keep,
            "problems": {k: problems[k] for k in ("in", "kept", "rejected", "failed")},
            "samples": {k: samples[k] for k in ("requested", "answered", "verified", "kept", "rejected", "failed", "truncated")},
            "requests": {k: counters[k] for k in ("requests", "cache_hits", "retries", "answered")},
            "attempt_errors": dict(sorted(attempt_errors.items())),
            "failures": dict(sorted(failures.items())),
            "tokens": {"in": counters["tokens_in"], "out": counters["tokens_out"]},
            "latency_ms": {f"p{q}": percentile(latencies, q) for q in (50, 95, 99)},
            "cost": cost,
        }
        if spec.step_labels == "rollouts":  # traces rolled out, steps labelled, continuation requests
            figures["rollouts"] = {k: rollouts[k] for k in ("traces", "steps", "requests")} | \
                {"per_step": spec.rollouts.per_step, "mode": "+".join(sorted(modes)) or None}
        out.append(figures)
    return out
