"""Publish uploads regular files inside the dir only: symlinks, FIFOs and the like are refused by name,
with exit 2 and no traceback, before anything is read or sent."""

from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from cotsynth.cli import main
from cotsynth.output.publish import PublishError, publish

from fake_hub import TOKEN


def plant(out, layout: str) -> str:
    """Put one hostile entry into the output dir; returns the word the error must say."""
    if layout == "file_symlink":
        os.symlink("/etc/passwd", out / "data" / "evil.parquet")
        return "symlink"
    if layout == "dir_symlink":
        os.symlink("/etc", out / "plots" if not (out / "plots").exists() else out / "extra")
        return "symlink"
    if layout == "dangling_symlink":
        os.symlink(out / "nowhere", out / "sft" / "gone.parquet")
        return "dangling symlink"
    if layout == "fifo":
        os.mkfifo(out / "data" / "pipe.parquet")
        return "FIFO"
    raise AssertionError(layout)


LAYOUTS = ["file_symlink", "dir_symlink", "dangling_symlink", "fifo"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_special_files_are_refused_before_anything_is_sent(layout, out_dir, hub):
    word = plant(out_dir, layout)
    with pytest.raises(PublishError, match=f"refusing to publish a {word}"):
        publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=hub.url)
    assert hub.requests == []


@pytest.mark.parametrize("layout", LAYOUTS)
def test_cli_dry_run_exits_2_with_the_path(layout, out_dir):
    word = plant(out_dir, layout)
    result = CliRunner().invoke(main, ["publish", str(out_dir), "--repo", "me/arith-cot", "--dry-run"])
    assert result.exit_code == 2 and word in result.output and str(out_dir) in result.output.replace("\n", "")
    assert "Traceback" not in result.output and "root:" not in result.output


def test_regular_layout_still_publishes(out_dir, hub):
    result = publish(out_dir, "me/arith-cot", token=TOKEN, endpoint=hub.url)
    assert result.files and all(not (out_dir / path).is_symlink() for path, _ in result.files)
