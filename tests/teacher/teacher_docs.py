"""Pipeline documents whose teacher is teacher-sim (shared by the tests of this folder)."""

from __future__ import annotations

import copy
from typing import Any


DOC: dict[str, Any] = {
    "name": "teacher-test",
    "seed": 11,
    "tasks": [{"family": "arith", "count": 40, "knobs": {"steps": [2, 4], "digits": [1, 2], "ops": ["+", "-", "*"]}}],
    "traces": [{
        "source": "teacher",
        "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "sim"},
        "samples": 2,
        "keep": "all",
        "max_concurrency": 16,
        "timeout": 2,
        "sampling": {"temperature": 0.8, "seed": 5},
    }],
    "splits": {"strategy": "iid", "test_fraction": 0.2},
    "output": {"dir": "unused", "shard_rows": 1000, "formats": ["sft", "prm"]},
}


def document(base_url: str, out: str = "unused", **teacher: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    doc["traces"][0]["endpoint"]["base_url"] = base_url
    doc["traces"][0].update(teacher)
    doc["output"]["dir"] = str(out)
    return doc
