"""Configs built to hang, exhaust or crash the CLI: each is refused before any work starts, exit 2,
one line naming the key, no traceback."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cotsynth.cli import main
from cotsynth.config import ConfigError, load_config
from cotsynth.yamlsafe import MAX_BYTES, load_text

BASE = ("name: t\nseed: 1\ntasks: [{family: arith, count: 5}]\ntraces: [{source: symbolic}]\n"
        "output: {dir: OUT}\n")


def alias_bomb(levels: int = 9) -> str:
    """A flow sequence of `levels` anchors, each nine aliases of the previous one: 9**levels leaves."""
    items = ["&a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, levels):
        items.append(f"&a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    return "[" + ", ".join(items) + "]"


def with_key(key: str, value: str) -> str:
    kept = [line for line in BASE.splitlines() if not line.startswith(f"{key}:")]
    return "\n".join(kept) + f"\n{key}: {value}\n"


CASES = {
    "alias_bomb_in_a_knob": (with_key("tasks", f"[{{family: arith, count: 5, knobs: {{steps: {alias_bomb()}}}}}]"),
                             "aliases expand"),
    "duplicate_key": (BASE + "seed: 2\n", "duplicate key 'seed'"),
    "count_too_large": (with_key("tasks", "[{family: arith, count: 1000000000000}]"), "tasks[0].count"),
    "count_times_rows": (with_key("tasks", "[{family: arith, count: 400000000}]").replace(
        "traces: [{source: symbolic}]", "traces: [{source: symbolic, granularity: [answer, coarse, fine]}]"),
        "rows a run can hold"),
    "count_true": (with_key("tasks", "[{family: arith, count: true}]"), "tasks[0].count"),
    "seed_googol": (with_key("seed", "1" + "0" * 100), "seed"),
    "timeout_inf": (BASE.replace("traces: [{source: symbolic}]", "traces: [{source: teacher, timeout: .inf, "
                                 "endpoint: {base_url: 'http://127.0.0.1:9/v1', model: m}}]"), "traces[0].timeout"),
    "nul_in_dir": (BASE.replace("{dir: OUT}", '{dir: "o\\0ut"}'), "output.dir"),
    "slash_in_task_name": (with_key("tasks", "[{family: arith, name: a/b, count: 5}]"), "tasks[0].name"),
    "markup_family": (with_key("tasks", "[{family: '[/]', count: 5}]"), "unknown family '[/]'"),
    "file_base_url": (BASE.replace("traces: [{source: symbolic}]", "traces: [{source: teacher, "
                                   "endpoint: {base_url: 'file:///etc/passwd', model: m}}]"), "base_url"),
    "inverted_range_keeps_brackets": (with_key("tasks", "[{family: arith, count: 5, knobs: {steps: [6, 2]}}]"),
                                      "[6, 2]"),
    "template_escape": (BASE.replace("traces: [{source: symbolic}]", "traces: [{source: teacher, "
                                     "prompt_template: ../../../../etc/passwd, "
                                     "endpoint: {base_url: 'http://127.0.0.1:9/v1', model: m}}]"),
                        "prompt_template"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_config_exits_2_with_the_key(case, tmp_path):
    text, expected = CASES[case]
    path = tmp_path / "pipeline.yaml"
    path.write_text(text.replace("OUT", str(tmp_path / "out")))
    result = CliRunner().invoke(main, ["run", str(path), "--executor", "local"])
    assert result.exit_code == 2, result.output
    assert expected in result.output and "Traceback" not in result.output, result.output
    assert not (tmp_path / "out").exists()  # refused before any work


def test_alias_bomb_is_refused_without_expanding(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(with_key("bomb", alias_bomb(12)))  # 9**12 leaves if expanded
    assert len(path.read_bytes()) < 2000
    with pytest.raises(ConfigError, match="aliases expand"):
        load_config(path)


def test_huge_file_is_refused_unread(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as handle:  # sparse: 100 MB on paper, nothing to read in practice
        handle.write(BASE.encode())
        handle.truncate(100 * 1024 * 1024)
    with pytest.raises(ConfigError, match=f"larger than {MAX_BYTES:,} bytes"):
        load_config(path)


def test_plain_anchors_and_merges_still_load():
    document = load_text("defaults: &d {family: arith, count: 5}\ntasks: [{<<: *d, name: one}, {<<: *d, count: 7}]")
    assert document["tasks"] == [{"family": "arith", "count": 5, "name": "one"}, {"family": "arith", "count": 7}]


def test_credentials_in_base_url_are_refused_and_not_echoed(tmp_path):
    path = tmp_path / "pipeline.yaml"
    path.write_text(BASE.replace("OUT", str(tmp_path / "out")).replace(
        "traces: [{source: symbolic}]",
        "traces: [{source: teacher, endpoint: {base_url: 'http://user:S3cret@127.0.0.1:9/v1', model: m}}]"))
    result = CliRunner().invoke(main, ["run", str(path), "--executor", "local"])
    assert result.exit_code == 2 and "base_url: credentials in the URL are not accepted" in result.output
    assert "S3cret" not in result.output and "***@127.0.0.1:9" in result.output
    assert not (tmp_path / "out").exists()
