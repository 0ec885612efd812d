"""Children die with their parent: a small watcher process for ``tradepipe run`` (Linux, ``/proc``).

Prefect starts its ephemeral API server (uvicorn) as a child process and stops it in an ``atexit`` hook, which a
SIGKILL never runs: the server then lives on with no one to stop it. Prefect spawns that child itself, so
``PR_SET_PDEATHSIG`` cannot be set in its ``preexec_fn``; instead ``start()`` launches this watcher, in its own
session (a Ctrl-C to the terminal does not reach it). It notes the parent's children every ``interval`` seconds
and, once the parent is gone (its own parent pid changes), sends them SIGTERM, then SIGKILL after a grace period.
A child is known by (pid, start time), so a recycled pid is never signalled.

``python -m tradepipe.adapters.server.reaper <parent pid>``
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PROC = Path("/proc")


def _stat(pid: int) -> tuple[int, int, str] | None:
    """(parent pid, start time in clock ticks, state) of ``pid``; None once it is gone."""
    try:
        raw = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ": the comm may hold spaces
    return int(fields[1]), int(fields[19]), fields[0]


def children(parent: int) -> dict[int, int]:
    """The live children of ``parent``: pid -> start time."""
    found: dict[int, int] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None and stat[0] == parent:
            found[int(entry.name)] = stat[1]
    return found


def alive(pid: int, started: int) -> bool:
    """True while the process ``pid`` that started at ``started`` runs (not recycled, not a zombie)."""
    stat = _stat(pid)
    return stat is not None and stat[1] == started and stat[2] != "Z"


def _signal(orphans: dict[int, int], sig: signal.Signals) -> None:
    for pid, started in orphans.items():
        if alive(pid, started):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)


def reap(orphans: dict[int, int], grace_s: float = 10.0) -> dict[int, int]:
    """SIGTERM ``orphans``, SIGKILL those still alive after ``grace_s``; returns the ones that outlived both."""
    _signal(orphans, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(alive(p, s) for p, s in orphans.items()):
        time.sleep(0.1)
    _signal(orphans, signal.SIGKILL)
    time.sleep(0.2)
    return {p: s for p, s in orphans.items() if alive(p, s)}


def watch(parent: int, interval: float = 0.5) -> None:
    """Track ``parent``'s children until it is gone, then reap the ones still alive."""
    me = os.getpid()
    known: dict[int, int] = {}
    while os.getppid() == parent:
        known.update(children(parent))
        known.pop(me, None)
        known = {p: s for p, s in known.items() if alive(p, s)}
        time.sleep(interval)
    reap(known)


def start() -> subprocess.Popen[bytes] | None:
    """Watch this process's children from a separate process (Linux only; elsewhere None)."""
    if not sys.platform.startswith("linux") or not PROC.is_dir():
        return None
    return subprocess.Popen(
        [sys.executable, "-m", "tradepipe.adapters.server.reaper", str(os.getpid())],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch(int(sys.argv[1]))
