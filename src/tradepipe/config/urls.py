"""Database URLs checked at load, and passwords redacted from every text that may show a URL.

Parsed with ``urllib.parse`` (SQLAlchemy's grammar: ``dialect+driver://user:password@host:port/database?query``)
rather than ``sqlalchemy.engine.make_url``: ``core`` imports config and must not import SQLAlchemy, even
indirectly. ``tests/unit/test_config.py`` checks that every URL accepted here parses the same with ``make_url``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

_PASSWORD = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^\s:/@'\"]*):[^\s'\"]*@")
_SCHEME = re.compile(r"[a-z][a-z0-9]*(\+[a-z0-9_]+)?")
LEDGER_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql+psycopg")
DEFAULT_DRIVERS = {"postgresql": "postgresql+psycopg"}  # psycopg (v3) is the installed PostgreSQL driver
SERVER_SCHEMES = ("postgresql", "postgresql+psycopg", "postgresql+asyncpg")


def redact(text: str) -> str:
    """``text`` with the password of every ``scheme://user:password@`` replaced by ``***``."""
    return _PASSWORD.sub(r"\g<head>:***@", text)


def redact_any(value: Any) -> Any:
    """``redact`` over the strings of a dumped model (dicts, lists, tuples), other values unchanged."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: redact_any(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact_any(v) for v in value)
    return value


def _scheme_and_port(url: str) -> str:
    """The URL's ``dialect+driver``; ``ValueError`` when it is not a URL or its port is not in 1..65535."""
    if "://" not in url or not _SCHEME.fullmatch(url.split("://", 1)[0]):
        raise ValueError("not a SQLAlchemy URL (dialect+driver://user:password@host:port/database)")
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 1 <= port <= 65_535:
        given = parts.netloc.rsplit("@", 1)[-1].rsplit(":", 1)[-1]
        raise ValueError(f"not a SQLAlchemy URL: port {given} is not a number in 1..65535")
    return url.split("://", 1)[0]


def ledger_url(url: str) -> str:
    """A checked ledger URL (``postgresql://`` gets the psycopg driver); empty stays empty (SQLite in state_dir)."""
    if not url:
        return url
    scheme = _scheme_and_port(url)
    if scheme in DEFAULT_DRIVERS:
        scheme, url = DEFAULT_DRIVERS[scheme], DEFAULT_DRIVERS[scheme] + url[len(scheme) :]
    if scheme not in LEDGER_SCHEMES:
        raise ValueError(
            f"only sqlite:///<file> or postgresql+psycopg://user@host:port/database are supported, not {scheme}://"
        )
    if scheme.startswith("sqlite"):
        path = url.split("://", 1)[1].split("?", 1)[0]
        if not path.startswith("/") or path.lstrip("/") in ("", ":memory:"):
            raise ValueError("SQLite needs a file: sqlite:///relative/path.db or sqlite:////absolute/path.db")
    return url


def webhook_url(url: str) -> str:
    """An ``http(s)://host/...`` URL to POST alerts to, or empty."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise ValueError(f"not a URL: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("an http:// or https:// URL with a host is needed, or empty")
    return url


def server_url(url: str) -> str:
    """A checked Prefect server database URL: empty (SQLite in state_dir) or PostgreSQL."""
    if url and _scheme_and_port(url) not in SERVER_SCHEMES:
        raise ValueError("Prefect needs PostgreSQL (postgresql://user@host:port/database) or empty")
    return url
