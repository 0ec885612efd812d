"""GeckoTerminal's public API as a ``PoolFeed`` (off by default: it reaches the network).

* ``GET /networks/{network}/new_pools?include=base_token,quote_token,dex`` — JSON:API ``data`` (pools: address,
  name, ``pool_created_at``, ``reserve_in_usd``, token prices in USD, ``volume_usd.h24``) and ``included``
  (tokens: address, symbol);
* ``GET /networks/{network}/tokens/{address}/info`` — per base token: ``holders.distribution_percentage.top_10``,
  ``mint_authority``, ``freeze_authority`` and ``is_honeypot`` where GeckoTerminal reports them.

Reserves are derived from the USD liquidity split evenly between the two sides (a constant-product pool) and
each token's USD price, in token units. The fee is not reported: ``DEFAULT_FEE_BPS`` (Raydium AMM v4). Facts the
API does not give are filled conservatively — unknown holder share = 100 %, unknown authority = not revoked,
unknown honeypot = not a honeypot but flagged by the concentration and authority facts — so sniper rules deny
rather than trust them. HTTP errors are mapped in ``map_http_errors``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx

from tradepipe.clock import Clock, WallClock
from tradepipe.domain.pools import PoolFacts
from tradepipe.errors import RateLimited, TransientVenueError, VenueRejected

BASE_URL = "https://api.geckoterminal.com/api/v2"
ACCEPT = "application/json;version=20230302"
DEFAULT_FEE_BPS = 25.0
NAME = "geckoterminal"


@contextmanager
def map_http_errors(what: str) -> Iterator[None]:
    """httpx transport errors and HTTP statuses → ``tradepipe.errors`` (retry, back off, or record)."""
    try:
        yield
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        if status == 429:
            after = exc.response.headers.get("Retry-After", "")
            retry = float(after) if after.replace(".", "", 1).isdigit() else 60.0
            raise RateLimited(f"{NAME} {what}: rate limited (HTTP 429)", retry_after_s=retry) from None
        if status >= 500:
            raise TransientVenueError(f"{NAME} {what}: HTTP {status}") from None
        raise VenueRejected(NAME, f"{what}: HTTP {status}") from None
    except httpx.TransportError as exc:  # timeouts, connection errors
        raise TransientVenueError(f"{NAME} {what}: {type(exc).__name__}: {exc}") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise VenueRejected(NAME, f"{what}: unexpected response shape ({type(exc).__name__}: {exc})") from None


class GeckoTerminalFeed:
    """See the module docstring; pass ``client`` (e.g. over ``httpx.MockTransport``) to test offline."""

    name = NAME

    def __init__(
        self,
        *,
        network: str = "solana",
        client: httpx.Client | None = None,
        clock: Clock | None = None,
        timeout_s: float = 10.0,
        max_token_lookups: int = 20,
    ) -> None:
        self.network = network
        self.client = client or httpx.Client(base_url=BASE_URL, timeout=timeout_s, headers={"Accept": ACCEPT})
        self.clock = clock or WallClock()
        self.max_token_lookups = max_token_lookups

    def pools(self, max_age_s: float) -> list[PoolFacts]:
        now = self.clock.now_ms()
        body = self._get(f"/networks/{self.network}/new_pools", {"include": "base_token,quote_token,dex", "page": 1})
        tokens = {t["id"]: t["attributes"] for t in body.get("included", []) if t.get("type") == "token"}
        out: list[PoolFacts] = []
        for item in body["data"]:
            with map_http_errors("new_pools"):
                created = _ms(item["attributes"]["pool_created_at"])
            if now - created > max_age_s * 1000:
                continue
            info = self._token_info(item) if len(out) < self.max_token_lookups else {}
            with map_http_errors("new_pools"):
                out.append(parse_pool(item, tokens, info, now))
        return out

    def _token_info(self, pool: dict[str, Any]) -> dict[str, Any]:
        mint = _token_address(pool, "base_token")
        try:
            return dict(self._get(f"/networks/{self.network}/tokens/{mint}/info", {})["data"]["attributes"])
        except VenueRejected:  # no info for this token: conservative defaults apply
            return {}

    def _get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        with map_http_errors(path):
            response = self.client.get(path, params=params)
            response.raise_for_status()
            return dict(response.json())


def parse_pool(item: dict[str, Any], tokens: dict[str, dict[str, Any]], info: dict[str, Any], now_ms: int) -> PoolFacts:
    """One ``new_pools`` item (plus its base token's info) as ``PoolFacts``."""
    attrs = item["attributes"]
    rel = item["relationships"]
    base_id, quote_id = rel["base_token"]["data"]["id"], rel["quote_token"]["data"]["id"]
    base, quote = tokens.get(base_id, {}), tokens.get(quote_id, {})
    reserve_usd = float(attrs.get("reserve_in_usd") or 0.0)
    base_usd = float(attrs.get("base_token_price_usd") or 0.0)
    quote_usd = float(attrs.get("quote_token_price_usd") or 0.0)
    holders = (info.get("holders") or {}).get("distribution_percentage") or {}
    dex = ((rel.get("dex") or {}).get("data") or {}).get("id", NAME)
    base_symbol = base.get("symbol") or attrs["name"].split(" / ")[0]
    quote_symbol = quote.get("symbol") or attrs["name"].split(" / ")[-1]
    return PoolFacts(
        venue=f"{dex}",
        pool_id=str(attrs["address"]),
        symbol=f"{base_symbol}/{quote_symbol}",
        base_mint=str(base.get("address") or base_id.split("_", 1)[-1]),
        quote_mint=str(quote.get("address") or quote_id.split("_", 1)[-1]),
        base_reserve=reserve_usd / 2 / base_usd if base_usd > 0 else 0.0,
        quote_reserve=reserve_usd / 2 / quote_usd if quote_usd > 0 else 0.0,
        fee_bps=DEFAULT_FEE_BPS,
        created_at_ms=_ms(attrs["pool_created_at"]),
        observed_at_ms=now_ms,
        top10_holder_pct=float(holders.get("top_10") or 100.0),
        mint_authority_revoked=_revoked(info.get("mint_authority")),
        freeze_authority_revoked=_revoked(info.get("freeze_authority")),
        honeypot=str(info.get("is_honeypot", "")).lower() == "yes",
        rugged=False,
        volume_24h_quote=float((attrs.get("volume_usd") or {}).get("h24") or 0.0) / quote_usd if quote_usd else 0.0,
    )


def _revoked(value: object) -> bool:
    """GeckoTerminal reports ``"no"`` when the authority is renounced; anything else (or nothing) is not."""
    return str(value).lower() in {"no", "false", "renounced", "revoked"}


def _token_address(pool: dict[str, Any], side: str) -> str:
    return str(pool["relationships"][side]["data"]["id"]).split("_", 1)[-1]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)
