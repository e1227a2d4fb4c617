"""A package registers families through the entry-point group `cotsynth.families`: a Python class,
and a family file it ships. The distribution is built in a tmp dir (a real dist-info with
entry_points.txt) and found by importlib.metadata on sys.path, as an installed plugin would be."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import datasets
import pytest
import yaml

from cotsynth import tasks

PLUGIN = '''
"""A cotsynth plugin: one family in Python, one as a family file."""
from pathlib import Path

from cotsynth import tasks
from cotsynth.tasks.base import Generated, TaskFamily
from cotsynth.tasks.families.arith import Expr, check_arithmetic_step, expression_graph
from cotsynth.tasks.templates import QuestionTemplate
from cotsynth.core.arithmetic import format_fraction

FAMILY_FILE = str(Path(__file__).with_name("tiles.yaml"))


class DoubleThenAdd(TaskFamily):
    name = "plugin_double_add"
    description = "2 * a + b, from a plugin"
    answer_type = "integer"
    knobs = {}
    granularities = ("answer", "coarse", "fine")

    def templates(self, allowed=None):
        return (QuestionTemplate("plugin_double_add/plain", "plain", "What is 2 * {{ a }} + {{ b }}?"),
                QuestionTemplate("plugin_double_add/words", "words", "Double {{ a }}, then add {{ b }}."))

    def generate(self, rng, knobs):
        a, b = rng.randint(2, 99), rng.randint(2, 99)
        doubled = Expr(2 * a, "*", Expr(2), Expr(a))
        root = Expr(2 * a + b, "+", doubled, Expr(b))
        return Generated(variables={"a": a, "b": b}, answer=format_fraction(root.value), graph=expression_graph(root))

    def recompute_answer(self, graph):
        return tasks.get("arith").recompute_answer(graph)

    def check_step(self, graph, step, node_ids):
        return check_arithmetic_step(graph, step, node_ids)
'''

TILES = {
    "name": "plugin_tiles",
    "variables": {"width": {"int": [2, 9]}, "length": {"int": [2, 9]}, "price": {"int": [3, 20]}},
    "steps": {"tiles": "width * length", "cost": "tiles * price"},
    "answer": "cost",
    "questions": ["A floor is {{ width }} by {{ length }} tiles at ${{ price }} a tile. Cost?",
                  "{{ width }} x {{ length }} tiles, ${{ price }} each: total?"],
}

ENTRY_POINTS = """
[cotsynth.families]
double_add = cotsynth_plugin_demo:DoubleThenAdd
tiles = cotsynth_plugin_demo:FAMILY_FILE
"""


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    """A tiny installed distribution: the package and its dist-info with entry_points.txt."""
    package = tmp_path / "site" / "cotsynth_plugin_demo"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN))
    (package / "tiles.yaml").write_text(yaml.safe_dump(TILES, sort_keys=False))
    info = tmp_path / "site" / "cotsynth_plugin_demo-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: cotsynth-plugin-demo\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(ENTRY_POINTS)
    return tmp_path / "site"


@pytest.fixture
def registry_restored(registry_restored):
    """The registry as it was (tests/tasks/conftest.py), and the demo plugin's module forgotten."""
    yield
    sys.modules.pop("cotsynth_plugin_demo", None)


def test_entry_points_register_families(plugin_dir, monkeypatch, registry_restored):
    assert "plugin_double_add" not in tasks.names()
    monkeypatch.syspath_prepend(str(plugin_dir))
    importlib.invalidate_caches()
    assert sorted(tasks.load_plugins()) == ["plugin_double_add", "plugin_tiles"]
    assert tasks.origin("plugin_double_add") == "plugin cotsynth-plugin-demo"
    assert tasks.origin("plugin_tiles") == "plugin cotsynth-plugin-demo"
    family = tasks.get("plugin_tiles")
    problem = family.build(0, "t", 0, {}, family.templates())
    assert problem.graph.atoms() == ["mul"] and problem.graph.compounds() == ["mul>mul"]
    assert tasks.load_plugins() == [], "loading again adds nothing"


def test_a_broken_plugin_is_skipped_with_a_warning(plugin_dir, monkeypatch, registry_restored):
    entry_points = plugin_dir / "cotsynth_plugin_demo-0.1.dist-info" / "entry_points.txt"
    entry_points.write_text(ENTRY_POINTS + "broken = cotsynth_plugin_demo:MISSING\n")
    monkeypatch.syspath_prepend(str(plugin_dir))
    importlib.invalidate_caches()
    with pytest.warns(UserWarning, match="skipping family plugin 'broken'"):
        added = tasks.load_plugins()
    assert sorted(added) == ["plugin_double_add", "plugin_tiles"]


def test_plugin_families_in_the_cli_and_a_run(plugin_dir, tmp_path):
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(plugin_dir), *filter(None, [os.environ.get("PYTHONPATH")])])}
    listing = subprocess.run([sys.executable, "-m", "cotsynth.cli", "tasks"], env=env, capture_output=True,
                             text=True, timeout=300)
    assert listing.returncode == 0, listing.stderr
    assert "plugin_double_add (plugin cotsynth-plugin-demo)" in listing.stdout
    assert "plugin_tiles (plugin cotsynth-plugin-demo)" in listing.stdout
    pipeline = {
        "name": "plugins", "seed": 1,
        "tasks": [{"family": "plugin_double_add", "count": 30}, {"family": "plugin_tiles", "count": 30}],
        "traces": [{"source": "symbolic", "granularity": ["answer", "fine"]}],
        "output": {"dir": str(tmp_path / "out")},
    }
    (tmp_path / "plugins.yaml").write_text(yaml.safe_dump(pipeline))
    run = subprocess.run([sys.executable, "-m", "cotsynth.cli", "run", str(tmp_path / "plugins.yaml"),
                          "--executor", "local"], env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    data = datasets.load_dataset(str(tmp_path / "out"), cache_dir=str(tmp_path / "hf-cache"))
    rows = [r for split in data.values() for r in split]
    assert {r["task"] for r in rows} == {"plugin_double_add", "plugin_tiles"}
    assert len(rows) >= 100 and all(r["verified"] for r in rows)  # 120 less exact duplicates dropped
