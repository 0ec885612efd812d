"""The pieces of ``make serve`` that run without a Prefect server: database URLs, PostgreSQL database creation,
and background processes with pid files stopped by signal (escalating when a process ignores the first)."""

from __future__ import annotations

import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, make_settings
from tradepipe.adapters.server.processes import Managed
from tradepipe.adapters.server.standing import Stack, ensure_postgres_database, prefect_database_url
from tradepipe.errors import ConfigurationError


def test_prefect_database_is_sqlite_in_the_run_dir_or_postgres_with_asyncpg(tmp_path: Path) -> None:
    laptop = make_settings(tmp_path / "state")
    assert prefect_database_url(laptop, tmp_path) == f"sqlite+aiosqlite:///{tmp_path.resolve()}/prefect.db"
    server = make_settings(tmp_path, server={"database_url": "postgresql+psycopg://postgres@127.0.0.1:5432/tp"})
    assert prefect_database_url(server, tmp_path) == "postgresql+asyncpg://postgres@127.0.0.1:5432/tp"
    with pytest.raises(ConfigurationError, match=r"server\.database_url: Prefect needs PostgreSQL"):
        make_settings(tmp_path, server={"database_url": "mysql://u@h/db"})  # refused at load
    mysql = server.model_copy(update={"server": server.server.model_copy(update={"database_url": "mysql://u@h/db"})})
    with pytest.raises(ValueError, match=r"server\.database_url"):
        prefect_database_url(mysql, tmp_path)


def test_stack_environment_keeps_prefect_state_out_of_the_repo(tmp_path: Path) -> None:
    stack = Stack(make_settings(tmp_path / "state", server={"port": 4999}), Path.cwd())
    env = stack.env()
    assert env["PREFECT_HOME"].startswith(str((tmp_path / "state").resolve()))
    assert env["PREFECT_API_URL"] == "http://127.0.0.1:4999/api" and env["TRADEPIPE_HOME"] == str(Path.cwd())
    assert env["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"


@pytest.mark.postgres
def test_missing_postgres_database_is_created_once(pg_available: None) -> None:
    name = f"tp_prefect_{uuid.uuid4().hex[:10]}"
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        assert ensure_postgres_database(url) is True
        assert ensure_postgres_database(url) is False
    finally:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_a_process_is_stopped_by_signal_and_escalated_when_it_ignores_it(tmp_path: Path) -> None:
    stubborn = Managed("stubborn", tmp_path)
    code = "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); print('up', flush=True); time.sleep(60)"
    pid = stubborn.spawn([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path)
    assert stubborn.pid() == pid and stubborn.pidfile.read_text().strip() == str(pid)
    with pytest.raises(RuntimeError, match="already runs"):
        stubborn.spawn([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path)
    deadline = time.monotonic() + 30
    while "up" not in stubborn.tail() and time.monotonic() < deadline:  # SIGINT is ignored from here on
        time.sleep(0.05)
    assert stubborn.stop(signal.SIGINT, timeout_s=1.0) == "stopped by SIGTERM"  # SIGINT ignored, SIGTERM not
    assert stubborn.pid() is None and not stubborn.pidfile.exists()
    assert stubborn.stop() == "not running"
