"""Escape attempts against the sandbox, in both modes: bubblewrap (every attempt contained) and the
fallback (untrusted programs refused; cotsynth's own programs still lose the caller, their daemons
and the network). Each case is a hostile program plus a check made from outside, on the host."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from cotsynth.verify import sandbox
from cotsynth.verify.sandbox import SandboxUnavailable, run_program

HAS_BWRAP = sandbox._probe().bwrap
FALLBACK = sandbox._probe(allow_bwrap=False)
REPO = Path(__file__).resolve().parents[2]
bwrap_only = pytest.mark.skipif(not HAS_BWRAP, reason="bubblewrap cannot run here")
MODES = [pytest.param(True, id="bwrap", marks=bwrap_only), pytest.param(False, id="fallback")]


def run(code: str, use_bwrap: bool, **kw) -> sandbox.ExecResult:
    kw.setdefault("timeout_s", 10)
    return run_program(code, use_bwrap=use_bwrap, trusted=not use_bwrap, **kw)


def marked_processes(marker: str) -> list[int]:
    """Host processes whose command line holds `marker` (leftovers of a sandboxed program)."""
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in Path(entry.path, "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def wait_until(condition, seconds: float = 20.0) -> bool:
    """Polls a cleanup that happens asynchronously (a killed process leaves /proc a moment later)."""
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def victim():
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    yield process
    process.kill()
    process.wait()


# --- filesystem: writes outside the sandbox's own dir, reads of secrets --------------------------


WRITE_TARGETS = {
    "tmp": lambda: Path(tempfile.gettempdir()) / f"escape-{uuid.uuid4().hex}",
    "home": lambda: Path.home() / f"escape-{uuid.uuid4().hex}",
    "checkout": lambda: REPO / f"escape-{uuid.uuid4().hex}",
    "dev_shm": lambda: Path("/dev/shm") / f"escape-{uuid.uuid4().hex}",
}


@bwrap_only
@pytest.mark.parametrize("where", sorted(WRITE_TARGETS))
def test_writes_outside_stay_inside(where):
    target = WRITE_TARGETS[where]()
    result = run(f"open({str(target)!r}, 'w').write('escaped')\nprint('wrote')", True)
    try:
        assert not target.exists(), f"the program wrote {target} on the host"
    finally:
        target.unlink(missing_ok=True)
    assert result.isolation["method"] == "bubblewrap+rlimits"


@bwrap_only
def test_root_cannot_be_remounted_writable():
    target = REPO / f"escape-{uuid.uuid4().hex}"
    code = ("import subprocess\n"
            f"subprocess.run(['sh', '-c', 'mount -o remount,bind,rw / ; touch {target}'])\n"
            "print(open('/proc/self/status').read())")
    result = run(code, True)
    try:
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)
    capabilities = [line for line in result.stdout.splitlines() if line.startswith("CapEff")]
    assert capabilities and int(capabilities[0].split()[1], 16) == 0


@bwrap_only
def test_password_hashes_and_home_files_are_hidden():
    secret = Path.home() / f".cotsynth-secret-{uuid.uuid4().hex}"
    secret.write_text("hunter2-secret")
    try:
        code = ("for path in ['/etc/shadow', " + repr(str(secret)) + "]:\n"
                "    try:\n        print(open(path).read())\n    except OSError as err:\n        print(type(err).__name__)")
        result = run(code, True)
    finally:
        secret.unlink()
    assert result.ok, result
    assert "hunter2-secret" not in result.stdout
    if os.access("/etc/shadow", os.R_OK) and Path("/etc/shadow").read_text().strip():
        assert Path("/etc/shadow").read_text().strip()[:10] not in result.stdout


@bwrap_only
def test_ram_backed_tmp_counts_against_the_memory_limit():
    # many files under the 16 MB file-size limit, 256 MB in all: only the tmpfs size stops them
    code = ("data = b'x' * (1 << 20)\nfor n in range(32):\n    with open(f'/tmp/fill{n}', 'wb') as f:\n"
            "        for _ in range(8):\n            f.write(data)\n")
    result = run(code, True, memory_mb=128)
    assert not result.ok and "No space left" in result.stderr, result
    assert result.isolation["tmp_mb"] == 32


# --- processes: the caller, other processes, leftovers -----------------------------------------


@pytest.mark.parametrize("use_bwrap", MODES)
def test_cannot_kill_the_caller_or_other_processes(use_bwrap, victim):
    if not use_bwrap and not FALLBACK.unshare:
        pytest.skip("no PID namespace without bubblewrap or unshare")
    code = (f"import os, signal\nfor pid in (os.getppid(), {os.getpid()}, {victim.pid}, 1):\n"
            "    try:\n        os.kill(pid, signal.SIGKILL)\n        print('killed', pid)\n"
            "    except OSError as err:\n        print(pid, type(err).__name__)")
    run(code, use_bwrap)
    assert victim.poll() is None, "the sandboxed program killed a host process"


@pytest.mark.parametrize("use_bwrap", MODES)
def test_setsid_daemon_dies_with_the_program(use_bwrap):
    if not use_bwrap and not FALLBACK.unshare:
        pytest.skip("no PID namespace without bubblewrap or unshare")
    marker = f"daemon-{uuid.uuid4().hex}"
    code = ("import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}],"
            " start_new_session=True)\nprint('detached')")
    result = run(code, use_bwrap)
    assert result.ok and "detached" in result.stdout, result
    assert wait_until(lambda: not marked_processes(marker)), "a setsid daemon outlived the sandbox"


@pytest.mark.parametrize("use_bwrap", MODES)
def test_fork_bomb_leaves_nothing_behind(use_bwrap):
    marker = f"bomb-{uuid.uuid4().hex}"
    code = ("import os, sys\nfor _ in range(200):\n    try:\n        if os.fork() == 0:\n"
            f"            os.execv(sys.executable, [sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}])\n"
            "    except OSError:\n        break\nprint('forked')")
    result = run(code, use_bwrap, timeout_s=10)
    assert result.reason
    assert wait_until(lambda: not marked_processes(marker)), "forked processes outlived the sandbox"


def test_the_program_dies_with_its_killed_caller():
    """PR_SET_PDEATHSIG / --die-with-parent: SIGKILL the caller mid-run; nothing of it survives, and
    the temp dir it could not remove is swept by the next run."""
    token = uuid.uuid4().hex
    marker = f"orphan-{token}"  # only the sandboxed program's child carries it whole in its command line
    program = (f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'import time; time.sleep(120)', "
               f"'orphan-' + {token!r}])")
    caller = subprocess.Popen(
        [sys.executable, "-c",
         f"from cotsynth.verify.sandbox import run_program\nrun_program({program!r}, timeout_s=120, "
         f"use_bwrap={HAS_BWRAP}, trusted=True)"],
        env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert wait_until(lambda: bool(marked_processes(marker)), 60), "the sandboxed program never started"
    leftovers = list(Path(tempfile.gettempdir()).glob(f"{sandbox._PREFIX}{caller.pid}-*"))
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    assert wait_until(lambda: not marked_processes(marker)), "the program outlived its SIGKILLed caller"
    assert leftovers and all(p.exists() for p in leftovers)  # the caller had no chance to clean up
    sandbox._swept = False
    run("print(1)", HAS_BWRAP)
    assert not [p for p in leftovers if p.exists()]


@pytest.mark.parametrize("use_bwrap", MODES)
def test_no_temp_dir_or_cgroup_is_left(use_bwrap):
    before = set(Path(tempfile.gettempdir()).glob(f"{sandbox._PREFIX}{os.getpid()}-*"))
    run("import os\nos.makedirs('deep/er', exist_ok=True)\nopen('deep/er/f', 'w').write('x')", use_bwrap)
    assert set(Path(tempfile.gettempdir()).glob(f"{sandbox._PREFIX}{os.getpid()}-*")) == before
    for root in sandbox._PIDS_CGROUP_ROOTS:
        assert not list(Path(root).glob(f"{sandbox._PREFIX}{os.getpid()}-*"))


# --- network ----------------------------------------------------------------------------------


@pytest.mark.parametrize("use_bwrap", MODES)
def test_cannot_reach_a_host_listener(use_bwrap):
    if not use_bwrap and not FALLBACK.unshare:
        pytest.skip("no network namespace without bubblewrap or unshare")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        code = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)\nprint('connected')"
        result = run(code, use_bwrap)
        with pytest.raises(OSError):
            listener.accept()
    assert "connected" not in result.stdout and not result.ok


# --- the fallback's own promise ----------------------------------------------------------------


def test_untrusted_program_is_refused_without_bubblewrap():
    with pytest.raises(SandboxUnavailable, match="bubblewrap"):
        run_program("print(1)", use_bwrap=False)


def test_fallback_says_its_filesystem_is_not_read_only():
    result = run("print(1)", False)
    assert result.ok and result.isolation["filesystem"] == "NOT read-only" and result.isolation["missing"]
