"""Run a Python program (a `code` trace) and capture what it prints, contained.

Untrusted programs (teacher-written) run only under bubblewrap: a read-only root, a private /tmp
(a size-capped tmpfs whose RAM counts against `memory_mb`), secrets hidden (/etc/shadow,
/etc/gshadow, /root and $HOME, the interpreter's own folders bound back read-only), own user/PID/
net/IPC/UTS/cgroup namespaces (the caller is not visible, so cannot be signalled; when the program's
PID 1 ends every process it left behind dies with the namespace), every capability dropped when we
are root (else root in the sandbox could remount / read-write), `--die-with-parent`. Without
bubblewrap an untrusted program is refused (`SandboxUnavailable` names the missing piece).
cotsynth's own programs (`trusted=True`, rendered from a step graph) may run in the fallback: new
PID, mount and network namespaces through util-linux `unshare` where it works, rlimits, a killed
process group and PR_SET_PDEATHSIG; its filesystem is NOT read-only there.
Both modes: rlimits (CPU, address space, processes, file size, open files, no core dumps), a
wall-time SIGKILL of the process group, a fresh temp working directory removed in `finally`, an
empty environment and an output cap; as root a pids cgroup caps the process count (RLIMIT_NPROC does
not bind root). Not contained: CPU time shared with the host (bounded by the rlimit and the wall
time), reads of world-readable files, kernel exploits. What could not be set up is said once on
stderr and in `ExecResult.isolation`.
"""

from __future__ import annotations

import ctypes
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
_BWRAP_BASE = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-all", "--die-with-parent",
               "--new-session"]
_SANDBOX_DIR = "/tmp/work"
_UNSHARE = ["unshare", "--pid", "--fork", "--kill-child", "--mount", "--mount-proc", "--net", "--ipc", "--uts"]
_USERNS = ["--user", "--map-root-user"]  # needed by a non-root caller to create the other namespaces
_PIDS_CGROUP_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")
_PREFIX = "cotsynth-sbx-"  # temp dirs and cgroups: `<prefix><owner pid>-<random>`, swept once the owner is gone
_SECRET_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/sudoers")
_LIBC = ctypes.CDLL(None, use_errno=True)  # loaded here: a forked child must not dlopen
_PR_SET_PDEATHSIG = 1


class SandboxUnavailable(RuntimeError):
    """An untrusted program was asked to run where bubblewrap cannot isolate it."""


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
    unshare: bool = False  # fallback: util-linux `unshare` gives PID, mount, network, IPC, UTS namespaces

    def describe(self, pids_cgroup: bool) -> dict[str, object]:
        missing = list(self.missing)
        if os.geteuid() == 0 and not pids_cgroup:
            missing.append("process-count limit (running as root and no pids cgroup available)")
        return {
            "method": "bubblewrap+rlimits" if self.bwrap else "unshare+rlimits" if self.unshare else "rlimits",
            "namespaces": "user,pid,net,ipc,uts,cgroup" if self.bwrap else "pid,mount,net,ipc,uts" if self.unshare
            else "none",
            "network": "blocked" if self.bwrap or self.unshare else "NOT blocked",
            "filesystem": "read-only root, private /tmp, secrets hidden" if self.bwrap else "NOT read-only",
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
    missing = [f"bubblewrap {problem} (install: apt-get install -y bubblewrap): read-only filesystem, hidden "
               "secrets and dropped capabilities missing"]
    unshare = _works(_unshare_prefix() + ["true"]) is None
    if not unshare:
        missing.append("PID, mount and network namespaces (util-linux `unshare` cannot create them here)")
    return _Isolation(False, tuple(missing), unshare)


def _unshare_prefix() -> list[str]:
    return [*_UNSHARE, *([] if os.geteuid() == 0 else _USERNS), "--"]


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
                use_bwrap: bool = True, trusted: bool = False) -> ExecResult:
    """Run `code` with `python -I` in the sandbox and return what happened, never raising for its sake.

    `trusted=False` (a program cotsynth did not write) requires bubblewrap and raises
    `SandboxUnavailable` without it. `use_bwrap=False` forces the fallback (what a machine without
    bubblewrap gets), for tests. Under bubblewrap `memory_mb` covers the program's address space and
    its RAM-backed /tmp together (a quarter for /tmp, see `_memory_split`).
    """
    isolation = isolation_available() if use_bwrap else _probe(allow_bwrap=False)
    if not isolation.bwrap and not trusted:
        raise SandboxUnavailable("refusing to run an untrusted program without isolation: "
                                 + "; ".join(isolation.missing))
    _sweep_leftovers()
    workdir = cgroup = None
    try:
        workdir = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{os.getpid()}-"))
        cgroup = _PidsCgroup.create() if os.geteuid() == 0 else None
        (workdir / "main.py").write_text(code, encoding="utf-8")
        interpreter = python or sys.executable
        address_mb, tmp_mb = _memory_split(memory_mb) if isolation.bwrap else (memory_mb, 0)
        if isolation.bwrap:
            command = ["bwrap", *_BWRAP_BASE, "--size", str(tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
                       *_hide_secrets(interpreter), "--bind", str(workdir), _SANDBOX_DIR, "--chdir", _SANDBOX_DIR,
                       *(["--cap-drop", "ALL"] if os.geteuid() == 0 else []),
                       interpreter, "-I", "-B", f"{_SANDBOX_DIR}/main.py"]
        else:
            prefix = _unshare_prefix() if isolation.unshare else []
            command = [*prefix, interpreter, "-I", "-B", str(workdir / "main.py")]
        processes = MAX_PROCESSES if cgroup is not None else _user_task_count() + MAX_PROCESSES
        limits = _Limits(cpu_s or max(1, int(timeout_s) + 1), address_mb, max_file_mb, processes, cgroup)
        proc = subprocess.Popen(command, cwd=workdir, env={}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                preexec_fn=limits.apply, start_new_session=True)
        try:
            stdout, stderr, outcome = _collect(proc, timeout_s, max_output)
        finally:
            _kill_group(proc)  # whatever it left in its group goes with it
            if proc.returncode is None:
                proc.wait()
        info = isolation.describe(cgroup is not None) | {"tmp_mb": tmp_mb}
        return _result(proc.returncode, stdout, stderr, outcome, info, max_output)
    finally:
        if cgroup is not None:
            cgroup.destroy()
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def _memory_split(memory_mb: int) -> tuple[int, int]:
    """(address-space MB, /tmp tmpfs MB): the tmpfs is RAM, so both share `memory_mb`."""
    tmp_mb = max(1, memory_mb // 4)
    return memory_mb - tmp_mb, tmp_mb


def _hide_secrets(interpreter: str) -> list[str]:
    """bwrap arguments hiding password hashes and home folders (root reads them despite file modes),
    then binding back, read-only, the interpreter's folders that live under a hidden or tmpfs one."""
    args: list[str] = []
    for secret in _SECRET_FILES:
        if os.path.lexists(secret):
            args += ["--ro-bind", "/dev/null", secret]
    homes = sorted({h for h in ("/root", os.path.expanduser("~"), "/home") if h not in ("/", "") and os.path.isdir(h)})
    for home in homes:
        args += ["--tmpfs", home]
    hidden = ("/tmp", *homes)
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, str(Path(interpreter).resolve().parent.parent),
             str(Path(interpreter).parent.parent)}
    for path in sorted(paths):
        if any(path == h or path.startswith(h.rstrip("/") + "/") for h in hidden) and os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for home in homes:
        args += ["--remount-ro", home]
    return args


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


def _owner_gone(name: str) -> bool:
    """Whether the process that made `<prefix><pid>-...` has exited (a SIGKILLed caller runs no `finally`)."""
    pid = name[len(_PREFIX):].split("-", 1)[0]
    if not pid.isdigit() or int(pid) == os.getpid():
        return False
    return not os.path.exists(f"/proc/{pid}")


_swept = False


def _sweep_leftovers() -> None:
    """Once per process: remove temp dirs and cgroups whose owning process died without cleaning up."""
    global _swept
    if _swept:
        return
    _swept = True
    for entry in Path(tempfile.gettempdir()).glob(f"{_PREFIX}*"):
        if _owner_gone(entry.name):
            shutil.rmtree(entry, ignore_errors=True)
    for root in _PIDS_CGROUP_ROOTS:
        for entry in Path(root).glob(f"{_PREFIX}*") if os.path.isdir(root) else ():
            if _owner_gone(entry.name):
                _PidsCgroup(entry).destroy()


@dataclass
class _Limits:
    cpu_s: int
    memory_mb: int
    file_mb: int
    processes: int
    cgroup: "_PidsCgroup | None"

    def apply(self) -> None:  # runs in the child before the new program starts: syscalls only
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # dies with the thread that started it
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
            path = Path(root, f"{_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}")
            try:
                path.mkdir()
                (path / "pids.max").write_text(str(MAX_PROCESSES))
                return cls(path)
            except OSError:
                cls(path).destroy() if path.exists() else None
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
