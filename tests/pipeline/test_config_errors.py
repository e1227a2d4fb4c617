"""A wrong config names the YAML path and the reason, exits 2, prints no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cotsynth.cli import main


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda c: c.update(unknown_key=1), "unknown_key: Extra inputs are not permitted"),
        (lambda c: c["tasks"][0].update(count=-5), "tasks[0].count: Input should be greater than 0"),
        (lambda c: c["tasks"][0].update(count="many"), "tasks[0].count: Input should be a valid integer"),
        (lambda c: c["tasks"][0].update(family="nope"), "tasks[0].family: unknown family 'nope'"),
        (lambda c: c["tasks"][0]["knobs"].update(colour=3), "tasks[0].knobs.colour: unknown knob"),
        (lambda c: c["tasks"][0]["knobs"].update(steps=[6, 2]), "tasks[0].knobs.steps: range [6, 2] is inverted"),
        (lambda c: c["tasks"][0]["knobs"].update(digits=[0, 2]), "tasks[0].knobs.digits: must lie within"),
        (lambda c: c["tasks"][0]["knobs"].update(ops=["%"]), "tasks[0].knobs.ops: unknown value(s) ['%']"),
        (lambda c: c["tasks"][0].update(family="rewrite", knobs={"alphabet": 2, "rules": 1, "rule_sets": 1000}, count=200),
         "tasks[0].knobs.rule_sets: only 91 distinct rule sets of 1 rules over 2 letters exist"),
        (lambda c: c["traces"][0].update(granularity="huge"), "traces[0].granularity[0]: Input should be"),
        (lambda c: c["traces"][0].update(source="oracle"), "traces[0]"),
        (lambda c: c["splits"].update(test_fraction=1.5), "splits.test_fraction: Input should be less than 1"),
        (lambda c: c["output"].update(shard_rows=0), "output.shard_rows: Input should be greater than 0"),
        (lambda c: c.pop("name"), "name: Field required"),
        (lambda c: c.update(tasks=[]), "tasks: List should have at least 1 item"),
    ],
)
def test_bad_config_names_the_key(tiny_config, write_yaml, tmp_path, mutate, expected):
    mutate(tiny_config)
    result = run_cli("run", str(write_yaml(tiny_config)), "--executor", "local", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists(), "no work may start before the config is valid"


def test_invalid_yaml_reports_line(write_yaml, tmp_path):
    result = run_cli("run", str(write_yaml("name: x\ntasks: [\n")), "--executor", "local")
    assert result.exit_code == 2
    assert "invalid YAML at line" in result.output


def test_missing_pipeline_file(tmp_path):
    result = run_cli("run", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2
    assert "no pipeline file" in result.output


def test_real_process_exits_2_without_traceback(tiny_config, write_yaml):
    tiny_config["tasks"][0]["knobs"]["steps"] = [6, 2]
    process = subprocess.run(
        [sys.executable, "-m", "cotsynth.cli", "run", str(write_yaml(tiny_config)), "--executor", "local"],
        capture_output=True,
        text=True,
    )
    assert process.returncode == 2
    assert "tasks[0].knobs.steps: range [6, 2] is inverted (min > max)" in process.stderr
    assert "Traceback" not in process.stderr + process.stdout
