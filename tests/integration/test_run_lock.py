"""One trading run at a time per ledger (issue 16 item 1), with real processes holding real locks.

A holder process (``run_lock_holder.py``) opens a cycle and keeps its run lock; a second starter is refused with
the holder's pid before it writes anything, and the holder's run stays ``running``; once the holder is SIGKILLed
its stale lock is taken over and only then is its run marked ``crashed``. The same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.storage.run_lock import RUN_LOCKS, FileRunLock
from tradepipe.config import Settings
from tradepipe.errors import RunLocked
from tradepipe.stages import start
from tradepipe.stages.observe import observe_failure

ROOT = Path(__file__).resolve().parents[2]
HOLDER = Path(__file__).with_name("run_lock_holder.py")
TRADEPIPE = Path(sys.executable).with_name("tradepipe")

pytestmark = pytest.mark.timeout(180)


def runs(settings: Settings) -> dict[str, str]:
    with wiring.ledger(settings).engine.connect() as conn:
        return {r.run_id: r.status for r in conn.execute(text("select run_id, status from runs"))}


def settings_for(tmp_path: Path, ledger_url: str) -> Settings:
    return make_settings(tmp_path / "state", database_url="" if ledger_url.startswith("sqlite") else ledger_url)


@pytest.fixture
def holder(tmp_path: Path, ledger_url: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """A live run in another process: (the process, its run id), once its run row is written."""
    database_url = "" if ledger_url.startswith("sqlite") else ledger_url
    proc = subprocess.Popen(
        [sys.executable, str(HOLDER), str(tmp_path / "state"), database_url],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("holding "), proc.stderr.read() if proc.stderr else line
    try:
        yield proc, line.split()[1]
    finally:
        proc.kill()
        proc.wait()


def take_over(settings: Settings, run_id: str) -> None:
    """Open a cycle once the dead holder's lock is free (PostgreSQL drops its session lock a moment later)."""
    deadline = time.monotonic() + 10
    while True:
        try:
            start.open_cycle(settings, run_id)
            return
        except RunLocked:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_a_second_starter_is_refused_and_the_live_run_is_not_marked_crashed(
    holder: tuple[subprocess.Popen[str], str], tmp_path: Path, ledger_url: str
) -> None:
    proc, held_run = holder
    settings = settings_for(tmp_path, ledger_url)
    with pytest.raises(RunLocked, match=rf"pid {proc.pid} since \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC"):
        start.open_cycle(settings, "run-second")
    assert observe_failure(settings, "the second run was refused") is None  # its failure hook records nothing
    assert runs(settings) == {held_run: "running"}  # not crashed, not failed, and no row of the second run

    proc.send_signal(signal.SIGKILL)
    proc.wait()
    take_over(settings, "run-after")
    assert runs(settings) == {held_run: "crashed", "run-after": "running"}  # its holder is gone now


def test_a_stale_lock_file_of_a_dead_pid_is_taken_over(settings: Settings) -> None:
    gone = subprocess.Popen(["true"])  # a pid that has exited (and been reaped)
    gone.wait()
    lock_file = Path(settings.state_dir) / "ledger.db.run.lock"
    lock_file.parent.mkdir(parents=True)
    stale = {"pid": gone.pid, "host": os.uname().nodename, "since": "2026-01-01T00:00:00+00:00",
             "heartbeat": "2026-01-01T00:05:00+00:00"}  # fmt: skip
    lock_file.write_text(json.dumps(stale))
    previous = RUN_LOCKS.take(settings.ledger_url)
    assert previous is not None and previous.pid == gone.pid and previous.gone()
    start.open_cycle(settings, "run-1")
    assert json.loads(lock_file.read_text())["pid"] == os.getpid()
    assert runs(settings) == {"run-1": "running"}


def test_the_lock_file_carries_a_heartbeat_and_is_emptied_on_release(tmp_path: Path) -> None:
    lock = FileRunLock(tmp_path / "ledger.db.run.lock", heartbeat_s=0.05)
    assert lock.acquire() is None
    first = json.loads(lock.path.read_text())
    time.sleep(0.3)
    later = json.loads(lock.path.read_text())
    assert first["pid"] == later["pid"] == os.getpid() and first["since"] == later["since"]
    assert datetime.fromisoformat(later["heartbeat"]) > datetime.fromisoformat(first["heartbeat"])
    assert datetime.fromisoformat(later["heartbeat"]) <= datetime.now(UTC)
    lock.release()
    assert lock.path.read_text() == ""  # released cleanly: it names nobody
    again = FileRunLock(lock.path)
    assert again.acquire() is None  # and nobody is reported as taken over
    again.release()


def test_tradepipe_run_exits_2_naming_the_holder_and_writes_nothing(
    holder: tuple[subprocess.Popen[str], str], tmp_path: Path, ledger_url: str
) -> None:
    proc, held_run = holder
    settings = settings_for(tmp_path, ledger_url)
    config = tmp_path / "second.toml"
    config.write_text(f'state_dir = "{tmp_path / "state"}"\ndatabase_url = "{settings.database_url}"\n')
    done = subprocess.run(
        [str(TRADEPIPE), "run", "--config", str(config)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "COLUMNS": "300"}, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr[-2000:]
    said = " ".join(done.stderr.split())
    assert "another tradepipe run holds the ledger's run lock" in said and f"pid {proc.pid} since" in said
    assert "Traceback" not in done.stderr
    assert runs(settings) == {held_run: "running"}
    assert not (tmp_path / "state" / "prefect").exists()  # refused before Prefect was even pointed at the state dir
    assert proc.poll() is None  # the holder is still alive and running
