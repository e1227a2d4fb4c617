"""Each hostile program is contained and reported with a reason; fallback mode is exercised too."""

import os
import shutil
import uuid
from pathlib import Path

import pytest

from cotsynth.verify import answers_match
from cotsynth.verify.sandbox import run_program

MODES = [pytest.param(True, id="bwrap"), pytest.param(False, id="fallback")]
HAS_BWRAP = shutil.which("bwrap") is not None


def _run(code, use_bwrap, **kw):
    kw.setdefault("timeout_s", 5)
    return run_program(code, use_bwrap=use_bwrap, trusted=not use_bwrap, **kw)


@pytest.mark.parametrize("use_bwrap", MODES)
def test_correct_program_answer_matches_gold(use_bwrap):
    result = _run("a = 12 + 21\nb = a * 3\nprint(b / 4)", use_bwrap)
    assert result.ok, result
    assert answers_match("99/4", result.stdout.strip())
    assert result.isolation["method"]


@pytest.mark.parametrize("use_bwrap", MODES)
def test_infinite_loop_is_killed(use_bwrap):
    result = _run("while True:\n    pass", use_bwrap, timeout_s=2)
    assert result.status in ("timeout", "killed") and result.reason


@pytest.mark.parametrize("use_bwrap", MODES)
def test_memory_bomb_is_contained(use_bwrap):
    result = _run("x = bytearray(4 * 1024 ** 3)\nprint('allocated')", use_bwrap, memory_mb=256)
    assert not result.ok and "allocated" not in result.stdout and result.reason


@pytest.mark.parametrize("use_bwrap", MODES)
def test_fork_bomb_is_contained(use_bwrap):
    code = "import os\nn = 0\nwhile True:\n    os.fork()\n    n += 1\n"
    result = _run(code, use_bwrap, timeout_s=5)
    assert not result.ok and result.reason


@pytest.mark.parametrize("use_bwrap", MODES)
def test_environment_is_empty(use_bwrap, monkeypatch):
    monkeypatch.setenv("COTSYNTH_SECRET_TOKEN", "hunter2")
    result = _run("import os\nprint(sorted(os.environ))", use_bwrap)
    assert result.ok and "COTSYNTH_SECRET_TOKEN" not in result.stdout and "hunter2" not in result.stdout


@pytest.mark.parametrize("use_bwrap", MODES)
def test_huge_output_is_capped(use_bwrap):
    result = _run("while True:\n    print('x' * 10000)", use_bwrap, max_output=4096)
    assert result.status == "output_limit" and len(result.stdout) <= 4096 and result.truncated


@pytest.mark.parametrize("use_bwrap", MODES)
def test_program_works_in_its_own_temp_dir(use_bwrap):
    result = _run("open('scratch.txt', 'w').write('ok')\nprint(open('scratch.txt').read())", use_bwrap)
    assert result.ok and result.stdout.strip() == "ok"


@pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap not installed: the fallback cannot make / read-only")
def test_writing_outside_the_temp_dir_fails():
    # /tmp is a private tmpfs inside the sandbox (a checkout under /tmp would be writable there
    # without escaping), so aim at a real directory outside it.
    home = Path.home()
    if str(home).startswith("/tmp"):
        pytest.skip("the home directory lies under /tmp")
    target = home / f"escaped-{uuid.uuid4().hex}.txt"
    result = _run(f"open({str(target)!r}, 'w').write('x')", True)
    assert not result.ok and "Read-only" in result.reason
    assert not target.exists()


def test_socket_is_blocked():
    code = "import socket\ns = socket.create_connection(('1.1.1.1', 80), timeout=3)\nprint('connected')"
    result = _run(code, True)
    if result.isolation["network"] != "blocked":
        pytest.skip("no namespace isolation on this machine: " + "; ".join(result.isolation["missing"]))
    assert not result.ok and "connected" not in result.stdout and "unreachable" in result.reason.lower()


def test_fallback_says_what_is_missing():
    result = _run("print(1)", False)
    assert result.ok and result.isolation["missing"]
    assert result.isolation["method"] != "bubblewrap+rlimits"


def test_temp_dir_is_removed():
    result = _run("import os\nprint(os.getcwd())", False)
    assert result.ok and not os.path.exists(result.stdout.strip())
