"""The output dir's layout and lifecycle: one constant per path, the refusal of an existing dir,
--overwrite and --resume.

`DIR/.cotsynth/` holds a run in progress (`run.json`: which config; `parts/`: finished units) and is
removed once the manifest is written; `DIR/.cotsynth-cache/` holds teacher answers and outlives the
run and --overwrite (answers are never paid twice); `DIR/manifest.json` with `status: complete` means
every other file is in place.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from cotsynth.output.shards import write_text_atomic

WORK = ".cotsynth"  # a run in progress
RUN_MARKER = f"{WORK}/run.json"  # the run hash of the run in progress
PARTS = f"{WORK}/parts"  # one file per finished unit and table (`parts`)
TEACHER_CACHE = ".cotsynth-cache"  # teacher answers; outlives the run and --overwrite
MANIFEST = "manifest.json"
REPORT = "report.json"
DROPS = "drops.jsonl"
CARD = "README.md"
DATA = "data"  # canonical records; each view has its own folder, named after it
PLOTS = "plots"


class OutputDirError(RuntimeError):
    """The output directory cannot be used as asked (exists, or holds another config's run)."""


def finished_manifest(out_dir: Path, identity: str) -> dict[str, Any] | None:
    """The manifest of a complete run of this identity in `out_dir` (nothing left to resume), else None."""
    manifest = out_dir / MANIFEST
    if not manifest.exists() or (out_dir / WORK).exists():
        return None
    document = json.loads(manifest.read_text())
    return document if document.get("run_hash") == identity and document.get("status") == "complete" else None


def prepare_output_dir(out_dir: Path, identity: str, resume: bool, overwrite: bool) -> None:
    """Refuse an existing dir unless told; on --resume, accept only a run of the same config."""
    marker = out_dir / RUN_MARKER
    holds_output = out_dir.exists() and any(p.name not in (WORK, TEACHER_CACHE) for p in out_dir.iterdir())
    if holds_output or marker.exists():
        if overwrite:
            for entry in out_dir.iterdir():  # all but the teacher cache: answers are never paid twice
                if entry.name != TEACHER_CACHE:
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        elif resume:
            manifest = out_dir / MANIFEST
            previous = None
            if marker.exists():
                previous = json.loads(marker.read_text())["run_hash"]
            elif manifest.exists():
                previous = json.loads(manifest.read_text()).get("run_hash")
            if previous != identity:
                raise OutputDirError(
                    f"{out_dir} holds a run of a different config ({previous or 'unknown'}); use --overwrite to replace it"
                )
        else:
            raise OutputDirError(f"{out_dir} already exists: pass --overwrite to replace it or --resume to continue it")
    write_text_atomic(marker, json.dumps({"run_hash": identity}))
    (out_dir / PARTS).mkdir(parents=True, exist_ok=True)


def clear_derived(out_dir: Path, views: list[str]) -> None:
    """Remove what the finalize rebuilds from the parts (an interrupted attempt's shards and plots)."""
    for derived in (DATA, *views, PLOTS):
        shutil.rmtree(out_dir / derived, ignore_errors=True)


def finish(out_dir: Path, card: str, manifest: dict[str, Any]) -> None:
    """The card, then the manifest (last: `status: complete` on disk means every other file is in
    place), then the run's work folder goes."""
    write_text_atomic(out_dir / CARD, card)
    write_text_atomic(out_dir / MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    shutil.rmtree(out_dir / WORK)
