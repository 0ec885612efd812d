"""Background processes with a pid file and a log file each, stopped by a signal to their process group."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass(frozen=True, slots=True)
class Managed:
    """A process named ``name`` whose pid and output live in ``run_dir``."""

    name: str
    run_dir: Path

    @property
    def pidfile(self) -> Path:
        return self.run_dir / f"{self.name}.pid"

    @property
    def logfile(self) -> Path:
        return self.run_dir / f"{self.name}.log"

    def pid(self) -> int | None:
        """The recorded pid if that process is still alive (a stale pid file is removed)."""
        try:
            pid = int(self.pidfile.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        if _alive(pid):
            return pid
        self.pidfile.unlink(missing_ok=True)
        return None

    def spawn(self, argv: Sequence[str], *, env: Mapping[str, str], cwd: Path) -> int:
        """Start ``argv`` in its own session (so a signal reaches its children too), output appended to the log."""
        if (running := self.pid()) is not None:
            raise RuntimeError(f"{self.name} already runs as pid {running} (see {self.pidfile})")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with self.logfile.open("ab") as log:
            process = subprocess.Popen(
                list(argv), env=dict(env), cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.pidfile.write_text(f"{process.pid}\n")
        return process.pid

    def stop(self, first: signal.Signals = signal.SIGTERM, timeout_s: float = 30.0) -> str:
        """Send ``first`` to the process group, wait, then SIGTERM and SIGKILL; says how it ended."""
        pid = self.pid()
        if pid is None:
            return "not running"
        for sig, wait in ((first, timeout_s), (signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            if _wait_gone(pid, wait):
                self.pidfile.unlink(missing_ok=True)
                return f"stopped by {sig.name}"
        self.pidfile.unlink(missing_ok=True)
        return "gone"

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        done, _ = os.waitpid(pid, os.WNOHANG)
        return done == 0
    except ChildProcessError:
        return True


def _wait_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return not _alive(pid)


def wait_http_ok(url: str, timeout_s: float, *, process: Managed | None = None) -> float:
    """Poll ``url`` until it answers 2xx; seconds waited. Fails early when ``process`` died meanwhile."""
    started = time.monotonic()
    while True:
        try:
            if httpx.get(url, timeout=2.0).is_success:
                return time.monotonic() - started
        except httpx.HTTPError:
            pass
        if process is not None and process.pid() is None:
            raise RuntimeError(f"{process.name} exited while starting; last log lines:\n{process.tail()}")
        if time.monotonic() - started > timeout_s:
            raise TimeoutError(f"{url} did not answer within {timeout_s:.0f} s")
        time.sleep(0.25)
