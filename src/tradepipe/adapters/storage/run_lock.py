"""One trading run at a time per ledger: a lock taken before a run writes anything, held until it ends.

SQLite: ``fcntl.flock`` on a file beside the database (``ledger.db.run.lock``) holding the holder's pid, host,
start time and a heartbeat rewritten every few seconds. PostgreSQL: a session advisory lock keyed by the
ledger's database and schema, on a dedicated connection named after the holder (pid, start time).
The kernel drops a flock and the server a session lock when the holder dies, so a free lock *is* the sign
that earlier runs left ``running`` are orphans; a held one is a live run, reported by ``RunLocked``.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.pool import NullPool

from tradepipe.errors import ConfigurationError, RunLocked

logger = logging.getLogger(__name__)

HEARTBEAT_S = 5.0
ADVISORY_NAMESPACE = zlib.crc32(b"tradepipe.run") & 0x7FFFFFFF  # first key of the (int, int) advisory lock
APP_PREFIX = "tradepipe run"


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a run lock: their pid (on ``host``), since when, and when they last showed they were alive."""

    pid: int | None
    since: datetime | None
    host: str = ""
    heartbeat: datetime | None = None

    def describe(self, now: datetime | None = None) -> str:
        who = f"pid {self.pid}" if self.pid is not None else "an unknown process"
        if self.host and self.host != socket.gethostname():
            who += f" on {self.host}"
        text_ = f"{who} since {_stamp(self.since)}" if self.since else who
        if self.heartbeat is not None:
            age = ((now or _now()) - self.heartbeat).total_seconds()
            text_ += f" (last heartbeat {max(age, 0):.0f} s ago)"
        return text_

    def gone(self) -> bool:
        """True when the holder's pid is known, on this host, and no longer running."""
        if self.pid is None or (self.host and self.host != socket.gethostname()):
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        return False


class RunLock(Protocol):
    """Taken before a run writes anything; ``acquire`` raises ``RunLocked`` naming the holder."""

    where: str

    def acquire(self) -> Holder | None:
        """Take the lock; returns the previous holder when a stale lock was taken over, else None."""
        ...

    def release(self) -> None: ...


class FileRunLock:
    """``flock`` on a file beside a SQLite ledger, with the holder's pid and a heartbeat written in it."""

    def __init__(self, path: Path, *, heartbeat_s: float = HEARTBEAT_S) -> None:
        self.path = path
        self.where = str(path)
        self.heartbeat_s = heartbeat_s
        self._fd: int | None = None
        self._since = _now()
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def acquire(self) -> Holder | None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            raise RunLocked(self.where, _locked_message(holder, self.where)) from None
        previous = _read_holder(fd)  # a crashed run's pid and heartbeat, if it left any
        self._fd, self._since = fd, _now()
        self._write()
        self._stop.clear()
        self._beat = threading.Thread(target=self._heartbeat, name="run-lock-heartbeat", daemon=True)
        self._beat.start()
        if previous.pid is not None:
            logger.warning("took over the run lock %s left by %s", self.where, previous.describe())
            return previous
        return None

    def release(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=self.heartbeat_s + 1)
            self._beat = None
        if self._fd is not None:
            os.ftruncate(self._fd, 0)  # a released lock names nobody; only a crashed holder leaves its pid
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def _write(self) -> None:
        if self._fd is None:
            return
        body = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": self._since.isoformat(),
            "heartbeat": _now().isoformat(),
        }
        data = (json.dumps(body) + "\n").encode()
        os.pwrite(self._fd, data, 0)
        os.ftruncate(self._fd, len(data))

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.heartbeat_s):
            try:
                self._write()
            except OSError:  # the file went away (state dir deleted): the flock still holds
                logger.exception("could not write the run lock heartbeat to %s", self.where)


def _read_holder(fd: int) -> Holder:
    """The holder written in a lock file (empty or torn content: an unknown holder)."""
    for _ in range(3):  # a holder rewriting its heartbeat may be caught between write and truncate
        raw = os.pread(fd, 4096, 0)
        try:
            body = json.loads(raw)
            return Holder(
                pid=int(body["pid"]),
                since=datetime.fromisoformat(body["since"]),
                host=str(body.get("host", "")),
                heartbeat=datetime.fromisoformat(body["heartbeat"]) if body.get("heartbeat") else None,
            )
        except (ValueError, KeyError, TypeError):
            threading.Event().wait(0.02)
    return Holder(pid=None, since=None)


def _locked_message(holder: Holder, where: str) -> str:
    message = f"another tradepipe run holds the ledger's run lock ({where}): {holder.describe()}"
    if holder.gone():
        return message + f"; pid {holder.pid} has exited but a process it started still holds the lock: stop it"
    return message + "; wait for it to finish or stop it"


class AdvisoryRunLock:
    """A PostgreSQL session advisory lock keyed by (database, schema), held on its own connection."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.where = f"PostgreSQL advisory lock on {make_url(url).render_as_string(hide_password=True)}"
        self._engine = create_engine(url, poolclass=NullPool)
        self._conn: Connection | None = None
        self._key_value = 0

    def acquire(self) -> Holder | None:
        since = _now()
        name = f"{APP_PREFIX} pid={os.getpid()} since={since.strftime('%Y-%m-%dT%H:%M:%SZ')}"
        conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            key = self._key(conn)
            conn.execute(text("select set_config('application_name', :name, false)"), {"name": name})
            keys = {"a": ADVISORY_NAMESPACE, "b": key}
            if conn.execute(text("select pg_try_advisory_lock(:a, :b)"), keys).scalar():
                self._conn, self._key_value = conn, key
                return None
            holder = self._holder(conn, key)
        except BaseException:
            conn.close()
            raise
        conn.close()
        raise RunLocked(self.where, _locked_message(holder, self.where))

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            keys = {"a": ADVISORY_NAMESPACE, "b": self._key_value}
            self._conn.execute(text("select pg_advisory_unlock(:a, :b)"), keys)
        finally:
            self._conn.close()
            self._conn = None
            self._engine.dispose()

    @staticmethod
    def _key(conn: Connection) -> int:
        db, schema = conn.execute(text("select current_database(), current_schema()")).one()
        return zlib.crc32(f"{db}.{schema}".encode()) & 0x7FFFFFFF

    @staticmethod
    def _holder(conn: Connection, key: int) -> Holder:
        row = conn.execute(
            text(
                "select a.application_name, a.backend_start, a.client_hostname, a.client_addr::text"
                " from pg_locks l join pg_stat_activity a on a.pid = l.pid"
                " where l.locktype = 'advisory' and l.granted and l.objsubid = 2"
                " and l.classid::bigint = :a and l.objid::bigint = :b"
            ),
            {"a": ADVISORY_NAMESPACE, "b": key},
        ).first()
        if row is None:  # released between our try and this look-up
            return Holder(pid=None, since=None)
        fields = dict(part.split("=", 1) for part in str(row.application_name).split() if "=" in part)
        pid = int(fields["pid"]) if fields.get("pid", "").isdigit() else None
        try:
            since = datetime.strptime(fields["since"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except (KeyError, ValueError):
            since = row.backend_start
        local = row.client_addr in (None, "127.0.0.1/32", "::1/128")
        return Holder(pid=pid, since=since, host="" if local else str(row.client_hostname or row.client_addr))


class NoRunLock:
    """An in-memory SQLite ledger belongs to one process: nothing to share, nothing to lock."""

    where = "in-memory ledger"

    def acquire(self) -> Holder | None:
        return None

    def release(self) -> None:
        return None


def run_lock(url: str) -> RunLock:
    """The run lock of the ledger at ``url``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            return NoRunLock()
        path = Path(database)
        return FileRunLock(path.with_name(path.name + ".run.lock"))
    if parsed.get_backend_name() == "postgresql":
        return AdvisoryRunLock(url)
    raise ConfigurationError(f"database_url: no run lock for the {parsed.get_backend_name()} backend")


def _key(url: str) -> str:
    """One key per ledger: a SQLite file by its absolute path, however the URL spells it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        return f"sqlite:///{Path(parsed.database).resolve()}"
    return url


@dataclass(slots=True)
class _Held:
    lock: RunLock
    pins: int = 0  # ``held()`` blocks (a CLI command of several cycles) keeping it between runs
    run_id: str | None = None  # the run this process opened under the lock
    previous: Holder | None = field(default=None)


class RunLocks:
    """The run locks this process holds, by ledger URL (a registry: one entry per ledger held)."""

    def __init__(self) -> None:
        self._held: dict[str, _Held] = {}
        self._guard = threading.Lock()

    def take(self, url: str) -> Holder | None:
        """Hold the run lock of ``url`` (kept if this process holds it already); raises ``RunLocked``.

        Returns the crashed holder whose stale lock was taken over, if any.
        """
        key = _key(url)
        with self._guard:
            held = self._held.get(key)
            if held is None:
                lock = run_lock(url)
                held = self._held[key] = _Held(lock, previous=lock.acquire())
            return held.previous

    def bind(self, url: str, run_id: str) -> None:
        """Record the run this process opened under the lock (its failure hook closes that run, no other)."""
        with self._guard:
            self._held[_key(url)].run_id = run_id

    def run_id(self, url: str) -> str | None:
        """The run this process opened on ``url`` and has not ended; None when it holds no lock there."""
        with self._guard:
            held = self._held.get(_key(url))
            return held.run_id if held else None

    def end_run(self, url: str) -> None:
        """The run is over: release the lock, unless a ``held()`` block keeps it for the next run."""
        key = _key(url)
        with self._guard:
            held = self._held.get(key)
            if held is None:
                return
            held.run_id, held.previous = None, None
            if held.pins > 0:
                return
            del self._held[key]
        held.lock.release()

    @contextmanager
    def held(self, url: str) -> Iterator[None]:
        """Hold the lock for a block of runs (raises ``RunLocked`` before the block when another run holds it)."""
        self.take(url)
        with self._guard:
            self._held[_key(url)].pins += 1
        try:
            yield
        finally:
            with self._guard:
                held = self._held.get(_key(url))
                if held is not None:
                    held.pins -= 1
            self.end_run(url)

    def release_all(self) -> None:
        """Release every lock this process holds (tests; the kernel and the server do it at exit anyway)."""
        with self._guard:
            held, self._held = list(self._held.values()), {}
        for entry in held:
            entry.lock.release()


RUN_LOCKS = RunLocks()  # the registry of this process's run locks
