"""A SIGKILLed ``tradepipe run`` takes its Prefect API server child with it (issue 16): no orphaned uvicorn.

Prefect stops its ephemeral server in an ``atexit`` hook, which SIGKILL skips; the watcher started by
``prepare_prefect`` (``adapters/server/reaper.py``) stops the orphan instead.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tradepipe.adapters.server import reaper

ROOT = Path(__file__).resolve().parents[2]
TRADEPIPE = Path(sys.executable).with_name("tradepipe")
SERVER = "prefect.server.api.server:create_app"

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="the watcher reads /proc (Linux)"),
]


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _gone(pid: int, started: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not reaper.alive(pid, started):
            return True
        time.sleep(0.1)
    return False


def test_the_prefect_server_child_dies_when_tradepipe_run_is_sigkilled(tmp_path: Path) -> None:
    config = tmp_path / "tradepipe.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\n[quality]\ngx_enabled = false\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")} | {"DO_NOT_TRACK": "1"}
    run = subprocess.Popen(
        [str(TRADEPIPE), "run", "--config", str(config)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=ROOT,
    )  # fmt: skip
    server: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 120
        while not server:
            assert run.poll() is None, "tradepipe run ended before its Prefect server started"
            assert time.monotonic() < deadline, "no Prefect server child appeared"
            server = {p: s for p, s in reaper.children(run.pid).items() if SERVER in _cmdline(p)}
            time.sleep(0.2)
        time.sleep(1.0)  # let the watcher note it (it looks every 0.5 s)
        run.send_signal(signal.SIGKILL)
        run.wait()
        ((pid, started),) = server.items()
        assert _gone(pid, started, timeout_s=20), f"the Prefect server pid {pid} outlived its SIGKILLed parent"
    finally:
        run.kill()
        run.wait()
        for pid, started in server.items():
            if reaper.alive(pid, started):
                os.kill(pid, signal.SIGKILL)


def test_the_watcher_reaps_every_child_of_a_killed_parent_and_nothing_else() -> None:
    parent_code = (
        "import subprocess, sys, time\n"
        "from tradepipe.adapters.server import reaper\n"
        "kids = [subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']) for _ in range(2)]\n"
        "reaper.start()\n"
        "print(' '.join(str(k.pid) for k in kids), flush=True)\n"
        "time.sleep(120)\n"
    )
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    kids = [int(p) for p in parent.stdout.readline().split()]
    started = {p: reaper.children(parent.pid)[p] for p in kids}
    try:
        time.sleep(1.0)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert all(_gone(p, s, timeout_s=15) for p, s in started.items())
        assert bystander.poll() is None  # a process that was not the killed parent's child is left alone
    finally:
        bystander.kill()
        bystander.wait()
        for p, s in started.items():
            if reaper.alive(p, s):
                os.kill(p, signal.SIGKILL)
