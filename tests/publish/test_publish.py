"""`cotsynth publish` through the real huggingface_hub code path, against the fake Hub of conftest.py."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner
from huggingface_hub import constants

from cotsynth.cli import main
from cotsynth.output.publish import PublishError, publish

from fake_hub import TOKEN, Repo


def expected_files(out: Path) -> dict[str, bytes]:
    """What must go up, listed independently of publish.py: all but the work folder and temp files."""
    return {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and ".cotsynth" not in p.parts and not p.name.endswith(".tmp")
    }


def test_one_commit_holds_card_manifest_and_every_shard(hub, out_dir):
    result = publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=hub.url)

    assert len(hub.commits) == 1
    commit = hub.commits[0]
    assert (commit["repo"], commit["revision"]) == ("me/arith-cot", "main")
    files = commit["files"]
    assert files == expected_files(out_dir)
    shards = [p for paths in json.loads((out_dir / "manifest.json").read_text())["files"].values() for p in paths]
    assert {"data", "sft", "rl", "prm"} <= {p.split("/")[0] for p in shards}
    for path in ["README.md", "manifest.json", "drops.jsonl", *shards]:
        assert files[path] == (out_dir / path).read_bytes(), path
    assert not [p for p in files if p.startswith(".cotsynth") or p.endswith(".tmp") or "/." in p]
    assert "publish tiny" in commit["header"]["summary"]

    create = next(r for r in hub.requests if r.path == "/api/repos/create")
    assert create.json() == {"name": "arith-cot", "organization": "me", "type": "dataset", "visibility": "public"}
    assert hub.paths() == [
        "POST /api/repos/create",
        "GET /api/datasets/me/arith-cot/tree/main",
        "POST /api/validate-yaml",
        "POST /api/datasets/me/arith-cot/preupload/main",
        "POST /api/datasets/me/arith-cot/commit/main",
    ]
    assert result.commit_url.startswith(f"{hub.url}/datasets/me/arith-cot/commit/")
    assert result.total_bytes == sum(len(b) for b in files.values())


def test_private_flag_and_revision_reach_the_hub_and_a_second_publish_reuses_them(hub, out_dir):
    for _ in range(2):
        publish(out_dir, "me/arith-cot", private=True, revision="release/v1", token=TOKEN, endpoint=hub.url)

    creates = [r.json() for r in hub.requests if r.path == "/api/repos/create"]
    assert [c["visibility"] for c in creates] == ["private", "private"]
    assert hub.repos["me/arith-cot"].private
    assert set(hub.repos["me/arith-cot"].trees) == {"main", "release/v1"}
    branch_calls = [r for r in hub.requests if "/branch/" in r.path]
    assert [r.path for r in branch_calls] == ["/api/datasets/me/arith-cot/branch/release/v1"] * 2
    assert [c["revision"] for c in hub.commits] == ["release/v1", "release/v1"]
    assert all(c["files"] == expected_files(out_dir) for c in hub.commits)


def test_private_is_refused_for_an_existing_public_repo(hub, out_dir):
    hub.repos["me/arith-cot"] = Repo(private=False)
    with pytest.raises(PublishError, match="already exists and is public"):
        publish(out_dir, "me/arith-cot", private=True, token=TOKEN, endpoint=hub.url)
    assert hub.commits == []


def test_files_of_an_earlier_run_in_the_run_folders_are_deleted_in_the_same_commit(hub, out_dir):
    earlier = {".gitattributes": b"*.parquet lfs\n", "LICENSE": b"mine", "notes/why.md": b"mine",
               "sft/train-00000-of-00003.parquet": b"old", "plots/gone.png": b"old", "README.md": b"old"}
    hub.repos["me/arith-cot"] = Repo(private=False, trees={"main": dict(earlier)})
    result = publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=hub.url)

    assert len(hub.commits) == 1
    assert hub.commits[0]["deleted"] == ["plots/gone.png", "sft/train-00000-of-00003.parquet"]
    assert result.deleted == ("plots/gone.png", "sft/train-00000-of-00003.parquet")
    kept = {p: earlier[p] for p in (".gitattributes", "LICENSE", "notes/why.md")}
    assert hub.repos["me/arith-cot"].trees["main"] == kept | expected_files(out_dir)


def unfinished(out: Path, how: str) -> None:
    manifest = out / "manifest.json"
    if how == "no manifest":
        manifest.unlink()
    elif how == "running":
        manifest.write_text(json.dumps(dict(json.loads(manifest.read_text()), status="running")))
    elif how == "no status":
        document = json.loads(manifest.read_text())
        del document["status"]
        manifest.write_text(json.dumps(document))
    elif how == "truncated":
        manifest.write_text(manifest.read_text()[:100])
    elif how == "no card":
        (out / "README.md").unlink()
    elif how == "missing shard":
        next((out / "sft").glob("*.parquet")).unlink()


@pytest.mark.parametrize(
    ("how", "reason"),
    [
        ("no manifest", "manifest.json is missing"),
        ("running", "says status 'running', not 'complete'"),
        ("no status", "says status None, not 'complete'"),
        ("truncated", "not valid JSON"),
        ("no card", "README.md is missing"),
        ("missing shard", "lists 1 missing shard"),
    ],
)
def test_an_unfinished_dir_is_refused_before_any_request(hub, out_dir, how, reason):
    unfinished(out_dir, how)
    with pytest.raises(PublishError, match=reason):
        publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=hub.url)
    assert hub.requests == []


def test_a_refusal_by_the_hub_and_an_unreachable_hub_are_publish_errors(hub, out_dir):
    with pytest.raises(PublishError, match=r"refused the upload to me/arith-cot \(HTTP 401\): Invalid credentials"):
        publish(out_dir, "me/arith-cot", token="hf_wrong", endpoint=hub.url)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    with pytest.raises(PublishError, match="cannot reach the Hub"):
        publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=closed)
    assert hub.commits == []


@pytest.fixture
def cli_hub(hub, monkeypatch):
    """The CLI takes no endpoint: point huggingface_hub's default at the fake, so any request lands there."""
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    return hub


def test_cli_dry_run_lists_files_and_target_and_sends_nothing(cli_hub, out_dir):
    result = CliRunner().invoke(
        main, ["publish", str(out_dir), "--repo", "me/arith-cot", "--private", "--revision", "v2", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert f"{cli_hub.url}/datasets/me/arith-cot (revision v2, private)" in result.stdout
    lines = result.stdout.splitlines()
    listed = {line.split()[1]: int(line.split()[0].replace(",", "")) for line in lines[1:-2]}
    files = expected_files(out_dir)
    assert listed == {path: len(content) for path, content in files.items()}
    assert lines[-2] == f"total: {len(files)} files, {sum(map(len, files.values())):,} bytes"
    assert cli_hub.requests == []


def test_cli_publishes(cli_hub, out_dir):
    cli_hub.repos["me/arith-cot"] = Repo(private=False, trees={"main": {"data/test-00009-of-00010.parquet": b"old"}})
    result = CliRunner().invoke(main, ["publish", str(out_dir), "--repo", "me/arith-cot"])
    assert result.exit_code == 0, result.output
    assert f"to {cli_hub.url}/datasets/me/arith-cot (revision main, public)" in result.stdout
    assert "deleted 1 files of an earlier publish: data/test-00009-of-00010.parquet" in result.stdout
    assert len(cli_hub.commits) == 1 and cli_hub.commits[0]["files"] == expected_files(out_dir)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--repo", "arith-cot"], "expected OWNER/NAME"),
        (["--repo", "me/arith cot"], "OWNER and NAME take letters"),
        (["--repo", "me/x/y"], "expected OWNER/NAME"),
    ],
)
def test_cli_rejects_a_bad_repo_id(cli_hub, out_dir, args, message):
    result = CliRunner().invoke(main, ["publish", str(out_dir), *args])
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert cli_hub.requests == []


def test_cli_without_a_token_exits_2_with_one_line(cli_hub, out_dir, tmp_path, monkeypatch):
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-saved-login"))
    result = CliRunner().invoke(main, ["publish", str(out_dir), "--repo", "me/arith-cot"])
    assert result.exit_code == 2
    assert "no Hugging Face token: set HF_TOKEN" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    assert cli_hub.requests == []


def test_cli_refuses_an_unfinished_dir(cli_hub, out_dir):
    unfinished(out_dir, "running")
    result = CliRunner().invoke(main, ["publish", str(out_dir), "--repo", "me/arith-cot", "--dry-run"])
    assert result.exit_code == 2
    assert "not 'complete': the run did not finish" in result.stderr
