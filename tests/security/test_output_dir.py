"""`--overwrite` replaces only a directory cotsynth made; no spelling of "here" or "/" is an output dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cotsynth.cli import main
from cotsynth.pipeline.outdir import OutputDirError, prepare_output_dir

IDENTITY = "abc-all"


def victim(folder: Path) -> Path:
    """A user's directory: a checkout with a secret, nothing cotsynth wrote."""
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "important.py").write_text("precious = True\n")
    (folder / ".ssh").mkdir()
    (folder / ".ssh" / "id_ed25519").write_text("KEY")
    (folder / "notes.txt").write_text("notes")
    return folder


def contents(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_overwrite_refuses_a_directory_cotsynth_did_not_make(tmp_path):
    folder = victim(tmp_path / "victim")
    before = contents(folder)
    with pytest.raises(OutputDirError, match="not made by cotsynth"):
        prepare_output_dir(folder, IDENTITY, resume=False, overwrite=True)
    assert contents(folder) == before


def test_a_forged_or_foreign_manifest_is_not_enough(tmp_path):
    folder = victim(tmp_path / "victim")
    (folder / "manifest.json").write_text(json.dumps({"name": "not a run"}))
    with pytest.raises(OutputDirError, match="not made by cotsynth"):
        prepare_output_dir(folder, IDENTITY, resume=False, overwrite=True)
    (folder / "manifest.json").write_text(json.dumps({"run_hash": "x-all", "status": "complete"}))
    with pytest.raises(OutputDirError, match="files cotsynth did not write.*notes.txt"):
        prepare_output_dir(folder, IDENTITY, resume=False, overwrite=True)
    assert (folder / "src" / "important.py").exists() and (folder / ".ssh" / "id_ed25519").exists()


def test_overwrite_replaces_a_run_and_keeps_the_teacher_cache(tmp_path):
    folder = tmp_path / "out"
    for name in ("data", "sft", "plots", ".cotsynth-cache"):
        (folder / name).mkdir(parents=True)
        (folder / name / "f").write_text("x")
    (folder / "manifest.json").write_text(json.dumps({"run_hash": "old-all", "status": "complete"}))
    (folder / "README.md").write_text("card")
    prepare_output_dir(folder, IDENTITY, resume=False, overwrite=True)
    assert sorted(p.name for p in folder.iterdir()) == [".cotsynth", ".cotsynth-cache"]
    assert json.loads((folder / ".cotsynth" / "run.json").read_text()) == {"run_hash": IDENTITY}
    # an interrupted run (work marker only) is replaceable too
    prepare_output_dir(folder, "new-all", resume=False, overwrite=True)


def test_a_file_given_as_the_dir_is_named_as_such(tmp_path):
    path = tmp_path / "file"
    path.write_text("x")
    with pytest.raises(OutputDirError, match="exists and is not a directory"):
        prepare_output_dir(path, IDENTITY, resume=True, overwrite=False)


@pytest.mark.parametrize("spelling", ["", "/", ".", "./", "a\0b"])
def test_empty_root_and_current_dir_are_never_output_dirs(spelling, tmp_path, monkeypatch, tiny_config, write_yaml):
    monkeypatch.chdir(victim(tmp_path / "cwd"))
    before = contents(Path.cwd())
    tiny_config["output"]["dir"] = spelling
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--executor", "local", "--overwrite"])
    assert result.exit_code == 2 and "output.dir" in result.output and "Traceback" not in result.output
    assert contents(Path.cwd()) == before
    if spelling:
        with pytest.raises(OutputDirError):
            prepare_output_dir(Path(spelling), IDENTITY, resume=False, overwrite=True)


def test_cli_out_victim_with_overwrite_exits_2_and_deletes_nothing(tmp_path, tiny_config, write_yaml):
    folder = victim(tmp_path / "victim")
    before = contents(folder)
    result = CliRunner().invoke(main, ["run", str(write_yaml(tiny_config)), "--out", str(folder), "--executor", "local",
                                       "--overwrite"])
    assert result.exit_code == 2 and "refusing to --overwrite" in result.output
    assert contents(folder) == before
