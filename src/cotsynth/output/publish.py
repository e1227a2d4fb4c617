"""Push a finished output dir to the Hugging Face Hub as a dataset repo.

Everything goes in one commit, so a reader of the repo never sees a card that describes shards that
are not there yet (or the other way round). Only a run that finished is published: its manifest must
say `status: complete`. The run's work folder (`.cotsynth/`), hidden files and temporary files stay
local. Files an earlier publish left in the folders a run writes (shards of another sharding, old
plots) are deleted in the same commit: the card's `data_files` globs must match this run's shards only.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

from httpx2 import TransportError  # huggingface_hub's HTTP client; its network errors are no OSError
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, constants, get_token
from huggingface_hub.errors import HfHubHTTPError, HFValidationError
from huggingface_hub.utils import validate_repo_id

from cotsynth.output.views import VIEWS

# Folders whose whole content a run rewrites: what the repo holds there and the run lacks is stale.
RUN_FOLDERS = tuple(f"{folder}/" for folder in ("data", *VIEWS, "plots"))


class PublishError(Exception):
    """A problem the user can fix: a bad repo id, an unfinished output dir, no token, a refusal by the Hub."""


@dataclass(frozen=True)
class PublishPlan:
    """What `publish` uploads and where; `commit_url` and `deleted` (stale repo files) are set once it did."""

    out_dir: Path
    repo_id: str
    url: str
    revision: str
    private: bool
    files: tuple[tuple[str, int], ...]  # (path in repo, size in bytes), sorted
    commit_url: str | None = None
    deleted: tuple[str, ...] = ()

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)


def check_repo_id(repo_id: str) -> None:
    """OWNER/NAME with the Hub's naming rules, checked before anything is read or sent."""
    owner, slash, name = repo_id.partition("/")
    if not (owner and slash and name) or "/" in name:
        raise PublishError(f"repo {repo_id!r}: expected OWNER/NAME (e.g. my-org/arith-cot)")
    try:
        validate_repo_id(repo_id)
    except HFValidationError:
        raise PublishError(
            f"repo {repo_id!r}: OWNER and NAME take letters, digits, '-', '_' and '.', no '--' or '..', "
            "do not start or end with '-' or '.', and are at most 96 characters together"
        ) from None


def _finished_manifest(out_dir: Path) -> dict:
    """The manifest of a run that finished; anything else is refused with the reason."""
    path = out_dir / "manifest.json"
    if not out_dir.is_dir():
        raise PublishError(f"{out_dir}: no such directory")
    if not path.is_file():
        raise PublishError(f"{path} is missing: {out_dir} is not a finished cotsynth output dir")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PublishError(f"{path} is not valid JSON ({err}): the run may have been interrupted") from None
    status = manifest.get("status") if isinstance(manifest, dict) else None
    if status != "complete":
        raise PublishError(
            f"{path} says status {status!r}, not 'complete': the run did not finish "
            "(continue it with `cotsynth run ... --resume`)"
        )
    return manifest


def _upload_files(out_dir: Path) -> list[tuple[str, int]]:
    """Every file of the dir except hidden ones (the `.cotsynth/` work folder, `.x.tmp`) and `*.tmp`."""
    files = []
    for folder, dirnames, filenames in os.walk(out_dir):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if name.startswith(".") or name.endswith(".tmp"):
                continue
            path = Path(folder) / name
            files.append((path.relative_to(out_dir).as_posix(), path.stat().st_size))
    return sorted(files)


def plan(
    out_dir: Path | str, repo_id: str, private: bool = False, revision: str | None = None, endpoint: str | None = None
) -> PublishPlan:
    """Check the dir and list what would go up; reads local files only."""
    out_dir = Path(out_dir)
    check_repo_id(repo_id)
    manifest = _finished_manifest(out_dir)
    files = _upload_files(out_dir)
    present = {path for path, _ in files}
    if "README.md" not in present:
        raise PublishError(f"{out_dir / 'README.md'} is missing: the dataset card is written when the run finishes")
    listed = [p for paths in (manifest.get("files") or {}).values() for p in paths]
    if missing := [p for p in listed if p not in present]:
        raise PublishError(f"{out_dir}: manifest.json lists {len(missing)} missing shard(s), e.g. {missing[0]}")
    url = f"{(endpoint or constants.ENDPOINT).rstrip('/')}/datasets/{repo_id}"
    return PublishPlan(out_dir, repo_id, url, revision or constants.DEFAULT_REVISION, private, tuple(files))


def publish(
    out_dir: Path | str,
    repo_id: str,
    private: bool = False,
    revision: str | None = None,
    dry_run: bool = False,
    token: str | None = None,
    endpoint: str | None = None,
) -> PublishPlan:
    """Upload a finished output dir to the dataset repo `repo_id` in one commit (creating repo and branch).

    `dry_run` only checks and lists. `token` defaults to `HF_TOKEN` or the saved login; `endpoint` to the
    Hub (or `HF_ENDPOINT`). Raises `PublishError` for anything the user can fix; a bad repo id or dir
    and a missing token are found before any request is sent.
    """
    upload = plan(out_dir, repo_id, private, revision, endpoint)
    if dry_run:
        return upload
    token = token or get_token()
    if not token:
        raise PublishError(
            "no Hugging Face token: set HF_TOKEN or log in with `hf auth login` (a token with write access)"
        )
    api = HfApi(endpoint=endpoint, token=token)
    manifest = json.loads((upload.out_dir / "manifest.json").read_text())
    try:
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        if private and not api.repo_info(repo_id, repo_type="dataset").private:
            raise PublishError(
                f"{repo_id} already exists and is public: --private cannot change that; make it private on the "
                "Hub first or choose another repo"
            )
        if upload.revision != constants.DEFAULT_REVISION:
            api.create_branch(repo_id, repo_type="dataset", branch=upload.revision, exist_ok=True)
        local = {path for path, _ in upload.files}
        remote = api.list_repo_files(repo_id, repo_type="dataset", revision=upload.revision)
        stale = sorted(p for p in remote if p.startswith(RUN_FOLDERS) and p not in local)
        commit = api.create_commit(
            repo_id,
            [CommitOperationAdd(path, upload.out_dir / path) for path, _ in upload.files]
            + [CommitOperationDelete(path) for path in stale],
            repo_type="dataset",
            revision=upload.revision,
            commit_message=f"cotsynth: publish {manifest.get('name', out_dir)}",
            commit_description=f"config hash {manifest.get('config_hash')}, run {manifest.get('run_hash')}",
        )
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else "?"
        detail = " ".join((err.server_message or str(err)).split())
        raise PublishError(f"the Hub refused the upload to {repo_id} (HTTP {status}): {detail}") from None
    except TransportError as err:
        raise PublishError(f"cannot reach the Hub at {api.endpoint}: {err}") from None
    return replace(upload, commit_url=commit.commit_url, deleted=tuple(stale))
