"""Serve a ccxt client's HTTP from a recording: real ccxt parsing and error handling, no network.

A recording is JSON: ``{"exchange": "binance", "responses": [{"method": "GET", "path": "/api/v3/klines",
"query": {"symbol": "BTCUSDT"}, "status": 200, "headers": {...}, "body": ...}, ...]}``. A request matches an entry
when method and URL path are equal and every recorded ``query`` key equals the request's value (query string and
form body both count; signatures and timestamps are simply not recorded). The highest ``priority``, then the most
specific match wins (fault overlays use a priority). A non-200
entry goes through ccxt's own ``handle_errors`` / ``handle_http_status_code``; ``"raise": "RequestTimeout"``
raises that ccxt network error as the transport would. An unmatched request raises ``ReplayMiss`` naming it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import ccxt


class ReplayMiss(AssertionError):
    """The client asked for something the recording does not hold (a test bug, never a network call)."""


@dataclass(slots=True)
class Recording:
    exchange: str
    responses: list[dict[str, Any]]
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path) -> Recording:
        data = json.loads(Path(path).read_text())
        return cls(exchange=str(data["exchange"]), responses=list(data["responses"]))

    def match(self, method: str, url: str, body: str | None) -> dict[str, Any]:
        parts = urlsplit(url)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if body and not body.lstrip().startswith(("{", "[")):
            params.update(parse_qsl(body, keep_blank_values=True))
        self.calls.append((method, parts.path, params))
        best: tuple[int, dict[str, Any]] | None = None
        for entry in self.responses:
            if entry.get("method", "GET") != method or entry["path"] != parts.path:
                continue
            query = {k: str(v) for k, v in (entry.get("query") or {}).items()}
            rank = len(query) + 1000 * int(entry.get("priority", 0))
            if all(params.get(k) == v for k, v in query.items()) and (best is None or rank > best[0]):
                best = (rank, entry)
        if best is None:
            raise ReplayMiss(f"{self.exchange}: no recorded response for {method} {parts.path} {sorted(params)}")
        return best[1]


def install(client: Any, recording: Recording) -> Recording:
    """Replace ``client.fetch`` (ccxt's one HTTP entry point) with the recording's replayer."""

    def fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        entry = recording.match(method, url, body if isinstance(body, str) else None)
        if "raise" in entry:
            raise getattr(ccxt, str(entry["raise"]))(f"{client.id} {method} {url}")
        status = int(entry.get("status", 200))
        response_headers = {"Content-Type": "application/json", **entry.get("headers", {})}
        payload = entry.get("body")
        text = payload if isinstance(payload, str) else json.dumps(payload)
        parsed = client.parse_json(text)
        client.last_response_headers = response_headers
        if status >= 400:
            reason = str(entry.get("reason", "Error"))
            handled = client.handle_errors(status, reason, url, method, response_headers, text, parsed, headers, body)
            if not handled:
                client.handle_http_status_code(status, reason, url, method, text)
            raise ccxt.ExchangeError(f"{client.id} {method} {url} {status}")
        client.handle_errors(status, "OK", url, method, response_headers, text, parsed, headers, body)
        return parsed if parsed is not None else text

    client.fetch = fetch
    return recording


def replaying_client(exchange_id: str, recording_path: Path, **config: Any) -> tuple[Any, Recording]:
    """A fresh ccxt client of ``exchange_id`` whose HTTP is served by the recording at ``recording_path``."""
    from tradepipe.adapters.venues.ccxt_gateway import make_client

    client = make_client(exchange_id, config or None)
    client.enableRateLimit = False  # a replay has no server to protect
    return client, install(client, Recording.load(recording_path))
