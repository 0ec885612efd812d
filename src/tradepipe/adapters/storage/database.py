"""Engines and migrations: SQLite (WAL, synchronous=FULL, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, ExceptionContext, create_engine, event, make_url

from tradepipe.errors import LedgerCorrupted

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets the pragmas that keep a crash from corrupting the ledger, and the checks
    that refuse a damaged one (``LedgerCorrupted``) instead of failing later with "disk I/O error"."""
    if url.startswith("sqlite"):
        path = make_url(url).database or ""
        on_disk = bool(path) and path != ":memory:" and not path.startswith("file:")
        if on_disk:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        SqliteGuard(Path(path) if on_disk else None).attach(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class SqliteGuard:
    """One SQLite engine's pragmas and damage checks (WAL, ``synchronous=FULL``, foreign keys).

    * on every new connection: a ``-shm`` file without its ``-wal`` means the log was deleted (SQLite removes
      the ``-shm`` first on a clean close, and a crash leaves both): the commits in it are gone;
    * on the engine's first connection: ``PRAGMA quick_check`` must say ``ok``;
    * on every checkout: the ``-wal`` a connection has used must still be there (deleted mid-run, later
      commits would live only in this process's open file): what it holds is checkpointed, then the error;
    * every "disk I/O error" / "database disk image is malformed" / "file is not a database" from the driver.
    Each raises ``LedgerCorrupted`` naming the file and what to do.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.checked = False

    def attach(self, engine: Engine) -> None:
        event.listen(engine, "connect", self.connect)
        event.listen(engine, "checkin", self.checkin)
        event.listen(engine, "checkout", self.checkout)
        event.listen(engine, "handle_error", self.handle_error)

    def connect(self, dbapi_connection: Any, _record: Any) -> None:
        if self.path is not None and self._shm.exists() and not self._wal.exists():
            raise self.damaged(
                f"{self._shm.name} is there but its write-ahead log {self._wal.name} is gone: the log was deleted "
                "(a process that still has the ledger open writes it back when it closes; else its commits are lost)"
            )
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            if self.path is not None and not self.checked:
                found = [str(r[0]) for r in cursor.execute("PRAGMA quick_check").fetchall()]
                if found != ["ok"]:
                    raise self.damaged(f"PRAGMA quick_check reports {'; '.join(found[:3])}")
                self.checked = True
        except sqlite3.DatabaseError as exc:
            if self.path is not None and is_damage(exc):
                raise self.damaged(str(exc)) from exc
            raise
        finally:
            cursor.close()

    def checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if self.path is not None and self._wal.exists():
            record.info["wal_seen"] = True

    def checkout(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if self.path is None or not record.info.get("wal_seen") or self._wal.exists():
            return
        with contextlib.suppress(sqlite3.Error):  # the deleted log is still open here: save what it holds
            dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        raise self.damaged(
            f"its write-ahead log {self._wal.name} was deleted while the ledger was open (this process wrote "
            f"what it held back into {self.path.name} and stopped)"
        )  # the pool closes this connection

    def handle_error(self, context: ExceptionContext) -> None:
        if self.path is not None and is_damage(context.original_exception):
            raise self.damaged(str(context.original_exception)) from context.original_exception

    def damaged(self, problem: str) -> LedgerCorrupted:
        path = self.path
        return LedgerCorrupted(
            f"the SQLite ledger {path} is damaged or incomplete: {problem}. Stop every tradepipe process using it "
            "and keep a copy of the ledger files as they are. If the ledger then opens again, run `tradepipe "
            f"reconcile` to compare it with the venues before trading; if not, restore it from a backup or move "
            f"{path.name if path else 'it'}* aside to start a new ledger"
        )

    @property
    def _wal(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + "-wal")

    @property
    def _shm(self) -> Path:
        assert self.path is not None
        return self.path.with_name(self.path.name + "-shm")


DAMAGE = ("disk i/o error", "database disk image is malformed", "file is not a database")


def is_damage(exc: BaseException) -> bool:
    """True for the sqlite3 errors that mean the files are damaged, not that the ledger is busy or misused."""
    return isinstance(exc, sqlite3.DatabaseError) and any(m in str(exc).lower() for m in DAMAGE)


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine) -> str:
    """Upgrade the ledger schema to the newest revision; returns that revision."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return head_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no Alembic revisions found")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
