"""Run an untrusted Python program (a `code` trace) and capture what it prints, contained.

Layers: bubblewrap (read-only root, private /tmp, no network, own PID/IPC/UTS namespaces, dies with
us), rlimits (CPU, address space, processes, file size, open files, no core dumps), a wall-time kill
from this process, a fresh temp working directory, an empty environment and an output cap. As root,
RLIMIT_NPROC does not bind, so a pids cgroup caps the process count when one can be created.
What could not be set up is said once on stderr and in `ExecResult.isolation` (for the manifest).
"""

from __future__ import annotations

import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

MAX_PROCESSES = 32
_BWRAP_BASE = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
               "--unshare-all", "--die-with-parent", "--new-session"]
_SANDBOX_DIR = "/tmp/work"
_UNSHARE = ["unshare", "--user", "--map-root-user", "--net", "--"]
_PIDS_CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")


@dataclass(frozen=True)
class ExecResult:
    stdout: str
    stderr: str
    exit_code: int | None  # None when killed by us; negative: killed by that signal
    status: str  # "ok" | "error" | "timeout" | "output_limit" | "killed"
    reason: str
    isolation: dict[str, object] = field(default_factory=dict)
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class _Isolation:
    bwrap: bool
    missing: tuple[str, ...]
    unshare: bool = False  # fallback: util-linux `unshare` gives a user + network namespace

    def describe(self, pids_cgroup: bool) -> dict[str, object]:
        missing = list(self.missing)
        if os.geteuid() == 0 and not pids_cgroup:
            missing.append("process-count limit (running as root and no pids cgroup available)")
        return {
            "method": "bubblewrap+rlimits" if self.bwrap else "unshare+rlimits" if self.unshare else "rlimits",
            "namespaces": "user,pid,net,ipc,uts,cgroup" if self.bwrap else "user,net" if self.unshare else "none",
            "network": "blocked" if self.bwrap or self.unshare else "NOT blocked",
            "filesystem": "read-only root, private /tmp" if self.bwrap else "NOT read-only",
            "process_limit": "pids cgroup" if pids_cgroup else "RLIMIT_NPROC",
            "missing": missing,
        }


_probe_lock = threading.Lock()
_probed: _Isolation | None = None


def isolation_available() -> _Isolation:
    """Probe once whether bubblewrap can create its namespaces here; warn once if not."""
    global _probed
    with _probe_lock:
        if _probed is None:
            _probed = _probe()
            if _probed.missing:
                print(f"cotsynth sandbox: reduced isolation, missing: {'; '.join(_probed.missing)}",
                      file=sys.stderr)
        return _probed


def _probe(allow_bwrap: bool = True) -> _Isolation:
    problem = _works([shutil.which("bwrap") or "bwrap", *_BWRAP_BASE, "true"]) if allow_bwrap else "disabled"
    if problem is None:
        return _Isolation(True, ())
    missing = [f"bubblewrap {problem} (install: apt-get install -y bubblewrap): read-only filesystem "
               "and PID namespace missing"]
    unshare = _works(_UNSHARE + ["true"]) is None
    if not unshare:
        missing.append("network isolation (no user namespaces for unshare either)")
    return _Isolation(False, tuple(missing), unshare)


def _works(command: list[str]) -> str | None:
    """None if `command` runs and exits 0 here, else why not."""
    try:
        probe = subprocess.run(command, capture_output=True, timeout=30, env={})
    except FileNotFoundError:
        return "not installed"
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"cannot run ({type(err).__name__})"
    if probe.returncode != 0:
        return f"cannot create namespaces here: {probe.stderr.decode(errors='replace').strip()[:200]}"
    return None


def run_program(code: str, timeout_s: float = 5.0, *, memory_mb: int = 512, cpu_s: int | None = None,
                max_output: int = 64 * 1024, max_file_mb: int = 16, python: str | None = None,
                use_bwrap: bool = True) -> ExecResult:
    """Run `code` with `python -I` in the sandbox and return what happened, never raising for its sake.

    `use_bwrap=False` forces the fallback (what a machine without bubblewrap gets), for tests.
    """
    isolation = isolation_available() if use_bwrap else _probe(allow_bwrap=False)
    workdir = Path(tempfile.mkdtemp(prefix="cotsynth-sbx-"))
    cgroup = _PidsCgroup.create() if os.geteuid() == 0 else None
    try:
        (workdir / "main.py").write_text(code, encoding="utf-8")
        interpreter = python or sys.executable
        if isolation.bwrap:
            command = ["bwrap", *_BWRAP_BASE, *_rebind_under_tmp(interpreter),
                       "--bind", str(workdir), _SANDBOX_DIR, "--chdir", _SANDBOX_DIR,
                       interpreter, "-I", "-B", f"{_SANDBOX_DIR}/main.py"]
        else:
            prefix = _UNSHARE if isolation.unshare else []
            command = [*prefix, interpreter, "-I", "-B", str(workdir / "main.py")]
        processes = MAX_PROCESSES if cgroup is not None else _user_task_count() + MAX_PROCESSES
        limits = _Limits(cpu_s or max(1, int(timeout_s) + 1), memory_mb, max_file_mb, processes, cgroup)
        proc = subprocess.Popen(command, cwd=workdir, env={}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=limits.apply, start_new_session=True)
        stdout, stderr, outcome = _collect(proc, timeout_s, max_output)
        info = isolation.describe(cgroup is not None)
        return _result(proc.returncode, stdout, stderr, outcome, info, max_output)
    finally:
        if cgroup is not None:
            cgroup.destroy()
        shutil.rmtree(workdir, ignore_errors=True)


def _user_task_count() -> int:
    """Tasks this user already runs: RLIMIT_NPROC counts them all, so the cap must sit above them."""
    uid, count = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                status = Path(entry.path, "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            if int(fields.get("Uid", "-1").split()[0]) == uid:
                count += int(fields.get("Threads", "1"))
    return count


def _rebind_under_tmp(interpreter: str) -> list[str]:
    """`--tmpfs /tmp` hides a venv or Python living under /tmp: bind those back, read-only."""
    paths = {sys.prefix, sys.base_prefix, str(Path(interpreter).resolve().parent.parent),
             str(Path(interpreter).parent.parent)}
    binds = []
    for path in sorted(paths):
        if path == "/tmp" or path.startswith("/tmp/"):
            binds += ["--ro-bind", path, path]
    return binds


@dataclass
class _Limits:
    cpu_s: int
    memory_mb: int
    file_mb: int
    processes: int
    cgroup: "_PidsCgroup | None"

    def apply(self) -> None:  # runs in the child before the new program starts: syscalls only
        if self.cgroup is not None:
            self.cgroup.enter()
        memory = self.memory_mb * 1024 * 1024
        for limit, value in ((resource.RLIMIT_CPU, self.cpu_s), (resource.RLIMIT_AS, memory),
                             (resource.RLIMIT_NPROC, self.processes),
                             (resource.RLIMIT_FSIZE, self.file_mb * 1024 * 1024),
                             (resource.RLIMIT_NOFILE, 64), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(limit, (value, value))


class _PidsCgroup:
    """A throw-away pids cgroup capping the process count (RLIMIT_NPROC does not bind root)."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def create(cls) -> "_PidsCgroup | None":
        for root in _PIDS_CGROUP_ROOTS:
            if not Path(root, "pids.max").exists() and not Path(root, "cgroup.procs").exists():
                continue
            path = Path(root, f"cotsynth-sbx-{uuid.uuid4().hex[:12]}")
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(MAX_PROCESSES))
                return cls(path)
            except OSError:
                shutil.rmtree(path, ignore_errors=True) if path.exists() else None
        return None

    def enter(self) -> None:
        with open(self.path / "cgroup.procs", "w") as handle:
            handle.write(str(os.getpid()))

    def destroy(self) -> None:
        for _ in range(50):
            try:
                pids = [int(p) for p in (self.path / "cgroup.procs").read_text().split()]
            except OSError:
                return
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                self.path.rmdir()
                return
            except OSError:
                time.sleep(0.02)


def _collect(proc: subprocess.Popen, timeout_s: float, max_output: int) -> tuple[bytes, bytes, str]:
    """Read both pipes until exit, the wall-time budget, or the output cap; kill on the last two."""
    out_fd, err_fd = proc.stdout.fileno(), proc.stderr.fileno()
    buffers = {out_fd: bytearray(), err_fd: bytearray()}
    open_fds = set(buffers)
    deadline = time.monotonic() + timeout_s
    outcome = "exited"
    while open_fds:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            outcome = "timeout"
            break
        ready, _, _ = select.select(list(open_fds), [], [], remaining)
        for fd in ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                open_fds.discard(fd)
            buffers[fd] += chunk
        if sum(len(b) for b in buffers.values()) > 2 * max_output:
            outcome = "output_limit"
            break
    if outcome != "exited":
        _kill_group(proc)
    try:
        proc.wait(timeout=max(0.1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        outcome = "timeout"
        _kill_group(proc)
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    return bytes(buffers[out_fd]), bytes(buffers[err_fd]), outcome


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _result(code: int | None, stdout: bytes, stderr: bytes, outcome: str, info: dict[str, object],
            max_output: int) -> ExecResult:
    truncated = len(stdout) > max_output or len(stderr) > max_output
    out = stdout[:max_output].decode("utf-8", errors="replace")
    err = stderr[:max_output].decode("utf-8", errors="replace")
    if outcome == "timeout":
        return ExecResult(out, err, None, "timeout", "wall-time limit reached; killed", info, truncated)
    if outcome == "output_limit":
        return ExecResult(out, err, None, "output_limit", f"printed more than {max_output} bytes; killed",
                          info, True)
    if code == 0:
        return ExecResult(out, err, 0, "ok", "exited normally", info, truncated)
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        why = {"SIGXCPU": "CPU-time limit reached", "SIGKILL": "killed", "SIGXFSZ": "file-size limit reached",
               "SIGSEGV": "crashed (segmentation fault)"}.get(name, f"killed by {name}")
        return ExecResult(out, err, code, "killed", why, info, truncated)
    last = err.strip().splitlines()[-1] if err.strip() else ""
    return ExecResult(out, err, code, "error", f"exited with status {code}: {last[:200]}", info, truncated)
