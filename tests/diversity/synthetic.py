"""Realistic synthetic problems tables: templated arithmetic chains that differ only in numbers.

Shared by the tests and benchmarks/diversity_scale.py. Deterministic in (n, seed).
"""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa

OPS = ("add", "sub", "mul", "div")
SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}
VERB = {"add": "add", "sub": "subtract", "mul": "multiply by", "div": "divide by"}
OPENERS = (
    "What is", "Compute", "Calculate", "Evaluate", "Work out", "Find the value of",
    "Determine", "Tell me the result of", "Simplify", "Give the value of",
)
CLOSERS = ("?", ".", " exactly.", " and show your work.")
# Each phrasing fits some operations only ("the product of ..."), so templates and compounds correlate.
TEMPLATE_OPS = [(0, 1), (2, 3), (0, 2), (1, 3), (0, 3), (1, 2), (0, 1, 2), (1, 2, 3), (0, 2, 3), (0, 1, 2, 3)]


def _template(tid: int, first: int, ops: list[str], nums: list[int]) -> str:
    """40 phrasings: 10 openers x 4 closers, half as symbols, half as spoken steps."""
    opener, closer = OPENERS[tid % 10], CLOSERS[tid // 10]
    if tid % 2 == 0:
        expr = str(first)
        for op, v in zip(ops, nums):
            expr = f"({expr} {SYMBOL[op]} {v})"
        return f"{opener} {expr}{closer}"
    steps = ", then ".join(f"{VERB[op]} {v}" for op, v in zip(ops, nums))
    return f"{opener} the following: start with {first}, then {steps}{closer}"


def problems_table(n: int, seed: int = 0, near_dup_fraction: float = 0.0, exact_dup_fraction: float = 0.0) -> pa.Table:
    """n problems; planted duplicates (if any) copy an earlier row's question with a light edit."""
    rng = np.random.default_rng(seed)
    steps = rng.integers(1, 7, n)
    digits = rng.integers(1, 4, n)
    templates = rng.integers(0, 40, n)
    kinds = rng.random(n)
    rows: dict[str, list] = {k: [] for k in ("problem_id", "task", "template_id", "knobs", "atoms", "compounds", "complexity", "shape", "question")}
    ops_all = rng.integers(0, 4, (n, 6))
    nums_all = rng.integers(0, 1000, (n, 7))
    for k in range(n):
        s, d, t = int(steps[k]), int(digits[k]), int(templates[k])
        allowed = TEMPLATE_OPS[t % len(TEMPLATE_OPS)]
        ops = [OPS[allowed[o % len(allowed)]] for o in ops_all[k, :s]]
        nums = [int(v) % (10**d) + 1 for v in nums_all[k, : s + 1]]
        question = _template(t, nums[0], ops, nums[1:])
        if k > 10 and kinds[k] < exact_dup_fraction:
            question = rows["question"][int(rng.integers(0, k))].upper()
        elif k > 10 and kinds[k] < exact_dup_fraction + near_dup_fraction:
            question = "Please " + rows["question"][int(rng.integers(0, k))]
        shape = "x"
        for op in ops:
            shape = f"{op}({shape},x)"
        rows["problem_id"].append(f"arith-{seed}-{k:07d}")
        rows["task"].append("arith")
        rows["template_id"].append(f"arith/t{t:02d}")
        rows["knobs"].append(json.dumps({"digits": d, "ops": "+-*/", "steps": s}, sort_keys=True, separators=(",", ":")))
        rows["atoms"].append(sorted(set(ops)))
        rows["compounds"].append(sorted({f"{a}>{b}" for a, b in zip(ops, ops[1:])}))
        rows["complexity"].append(2 * s + 1)
        rows["shape"].append(shape)
        rows["question"].append(question)
    schema = pa.schema(
        [
            ("problem_id", pa.string()), ("task", pa.string()), ("template_id", pa.string()), ("knobs", pa.string()),
            ("atoms", pa.list_(pa.string())), ("compounds", pa.list_(pa.string())), ("complexity", pa.int32()),
            ("shape", pa.string()), ("question", pa.string()),
        ]
    )
    return pa.Table.from_pydict(rows, schema=schema)
