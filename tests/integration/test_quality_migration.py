"""Migration 0003 (quality gate) upgrades and downgrades cleanly on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect

from tradepipe.adapters.storage.database import alembic_config, make_engine


def _to(url: str, revision: str, *, down: bool = False) -> None:
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
    engine.dispose()


def _schema(url: str) -> tuple[set[str], set[str]]:
    engine = make_engine(url)
    try:
        inspector = inspect(engine)
        return set(inspector.get_table_names()), {c["name"] for c in inspector.get_columns("quarantine")}
    finally:
        engine.dispose()


def test_0003_adds_and_removes_the_quality_schema(ledger_url: str) -> None:
    _to(ledger_url, "0003")
    tables, columns = _schema(ledger_url)
    assert {"quality_runs", "quality_reports", "quarantine"} <= tables
    assert "clean_cycles" in columns
    _to(ledger_url, "0002", down=True)
    tables, columns = _schema(ledger_url)
    assert not {"quality_runs", "quality_reports"} & tables
    assert "clean_cycles" not in columns and "released_at" in columns
    _to(ledger_url, "0003")
    assert "quality_reports" in _schema(ledger_url)[0]
