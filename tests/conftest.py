"""Shared fixtures: ledger URLs for SQLite and PostgreSQL, fresh settings in a temp state dir."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from tradepipe.adapters.storage.run_lock import RUN_LOCKS
from tradepipe.config import Settings, load_settings

# Prefect keeps its home (settings, local DB) out of the user's ~/.prefect during tests; no telemetry.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="tradepipe-prefect-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

PG_ADMIN_URL = os.environ.get("TRADEPIPE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@pytest.fixture(autouse=True)
def _release_run_locks() -> Iterator[None]:
    """Stages called directly (not through a flow that ends its run) leave the run lock held: release it."""
    yield
    RUN_LOCKS.release_all()


def _pg_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
    except OperationalError as exc:
        return str(exc).splitlines()[0]
    return None


@pytest.fixture(scope="session")
def pg_available() -> None:
    """Skip PostgreSQL tests when no server runs, except on CI (CI=true), where a missing server fails."""
    problem = _pg_reachable()
    if problem is None:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but PostgreSQL at {PG_ADMIN_URL} is unreachable: {problem}")
    pytest.skip(f"PostgreSQL at {PG_ADMIN_URL} is unreachable: {problem}")


@pytest.fixture
def pg_url(pg_available: None) -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards (tests never share state)."""
    schema = f"tp_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledger_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same ledger test against SQLite and against the PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return str(request.getfixturevalue("pg_url"))


def make_settings(state_dir: Path, **overrides: Any) -> Settings:
    """Default settings (shipped tradepipe.toml values) in ``state_dir`` with nested overrides."""
    return load_settings(Path(__file__).parents[1] / "tradepipe.toml", {"state_dir": str(state_dir), **overrides})


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "state", discovery={"max_symbols": 20})


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """One temporary Prefect API for every test in the session that needs one (it takes 10–30 s to start); its URL,
    for subprocesses (``PREFECT_API_URL``)."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield str(PREFECT_API_URL.value())
