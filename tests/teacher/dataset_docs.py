"""Dataset-sourced pipeline documents and the rows they read (shared by the dataset tests)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from teacher_docs import DOC as FAMILY_DOC

ROWS: list[dict[str, Any]] = [
    {"uid": f"r{i:02d}", "problem": f"Ana has {i + 3} shells and finds {2 * i + 1} more. How many shells does she have now?",
     "solution": f"{i + 3} + {2 * i + 1} = {3 * i + 4}\n#### {3 * i + 4}", "topic": ["sea", "sand", "rock"][i % 3], "level": i % 4}
    for i in range(24)
] + [
    {"uid": "f1", "problem": "What fraction of a day is 6 hours?", "solution": "6/24 = 1/4\n#### 1/4", "topic": "time", "level": 2},
    {"uid": "c1", "problem": "Which is odd? (A) 4 (B) 9 (C) 10 (D) 12", "solution": "#### B", "topic": "rock", "level": 1},
    {"uid": "t1", "problem": "Which planet is known as the red one?", "solution": "#### Mars", "topic": "sky", "level": 0},
    {"uid": "bad", "problem": "A row whose solution lacks its marker.", "solution": "it is 5", "topic": "sea", "level": 1},
    {"uid": "dup", "problem": "Ana has 3 shells and finds 1 more. How many shells does she have now?",
     "solution": "#### 4", "topic": "sea", "level": 0},  # the same question as r00 under another id
]


def write_jsonl(path: Path, rows: list[dict[str, Any]] = ROWS) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


DOC: dict[str, Any] = copy.deepcopy(FAMILY_DOC) | {
    "name": "dataset-test",
    "seed": 3,
    "tasks": [{"name": "shells", "dataset": {"path": "unset", "question": "problem", "answer": "solution",
                                              "answer_extract": "gsm8k", "id": "uid"}}],
    "splits": {"strategy": "iid", "test_fraction": 0.25},
}
DOC["traces"][0]["timeout"] = 5
DOC["output"]["formats"] = ["sft", "rl", "prm"]


def dataset_document(path: str | Path, out: str | Path = "unused", **teacher: Any) -> dict[str, Any]:
    doc = copy.deepcopy(DOC)
    doc["tasks"][0]["dataset"]["path"] = str(path)
    doc["traces"][0].update(teacher)
    doc["output"]["dir"] = str(out)
    return doc
