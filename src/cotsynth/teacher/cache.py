"""The response cache: a teacher answer is paid for once, whatever interrupts the run.

SQLite in WAL mode (several Ray actors may write the same file; readers never block the writer),
keyed by a hash of everything that determines an answer: (base_url, model, messages, sampling
params, sample index). Only answers are stored, never failures, so a rerun retries exactly what is
missing. The client commits answers in small batches (`put_many`, at most FLUSH_SECONDS or
FLUSH_ANSWERS old: one commit per answer blocked the event loop for ~0.2 ms each), so a SIGKILL loses
at most the requests in flight and the last fraction of a second of answers.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from pathlib import Path
from typing import Any

CACHE_FILE = "teacher-cache.sqlite"
FLUSH_SECONDS = 0.05
FLUSH_ANSWERS = 64


def cache_key(base_url: str, model: str, messages: list[dict[str, str]], sampling: dict[str, Any], sample: int) -> str:
    content = json.dumps([base_url.rstrip("/"), model, messages, sampling, sample], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, folder: str | Path):
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / CACHE_FILE
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        for attempt in range(200):
            try:  # switching to WAL takes an exclusive lock and ignores the busy timeout: actors race here
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or attempt == 199:
                    raise
                time.sleep(0.01 + 0.01 * (attempt % 10))
        self._db.execute("PRAGMA synchronous=NORMAL")

    def get(self, key: str) -> dict[str, Any] | None:
        row = self._db.execute("SELECT value FROM answers WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def put(self, key: str, value: dict[str, Any]) -> None:
        self.put_many({key: value})

    def put_many(self, values: dict[str, dict[str, Any]]) -> None:
        """Store answers in one transaction."""
        with self._db:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR REPLACE INTO answers (key, value) VALUES (?, ?)",
                                 [(key, json.dumps(value)) for key, value in values.items()])

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def close(self) -> None:
        self._db.close()
