"""Solana pools: the simulated feed, the watcher's candidates, and GeckoTerminal on recorded JSON (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tradepipe.adapters.feeds.geckoterminal import GeckoTerminalFeed
from tradepipe.adapters.venues.sim_pools import SimPoolFeed
from tradepipe.clock import SimClock
from tradepipe.core.discovery.pools import PoolWatcher, pool_score, risk_flags
from tradepipe.errors import RateLimited, TransientVenueError

HOUR = 3_600_000
START = 1_767_225_600_000
DATA = Path(__file__).parents[2] / "data" / "geckoterminal"
GT_NOW = 1_735_732_800_000  # 2025-01-01T12:00:00Z


def feed(at_hours: int, seed: int = 7) -> SimPoolFeed:
    return SimPoolFeed(seed, SimClock(START + at_hours * HOUR), start_ms=START)


def test_the_sim_feed_is_deterministic_per_seed_and_new_pools_appear_every_cycle() -> None:
    day = feed(48).pools(max_age_s=86_400)
    assert day == feed(48).pools(max_age_s=86_400) and day != feed(48, seed=8).pools(max_age_s=86_400)
    assert 40 <= len(day) <= 110  # ~3 per hour
    assert all(START + 24 * HOUR <= p.created_at_ms <= START + 48 * HOUR for p in day)
    assert all(p.observed_at_ms == START + 48 * HOUR and p.age_s <= 86_400 for p in day)
    later = {p.pool_id for p in feed(50).pools(max_age_s=86_400)}
    assert later - {p.pool_id for p in day}  # new pools appeared two cycles later
    assert 0.04 <= sum(p.honeypot for p in day) / len(day) <= 0.2
    assert any(p.rugged for p in day) and not all(p.rugged for p in day)
    for p in day:
        assert (
            p.symbol.endswith("/USDC") and p.base_reserve > 0 and p.quote_reserve > 0 and 0 < p.top10_holder_pct < 100
        )
        assert p.liquidity_quote == pytest.approx(2 * p.quote_reserve)


def test_a_rug_pulls_the_quote_side_and_the_pool_is_seen_the_same_way_by_id() -> None:
    pools = feed(72).pools(max_age_s=3 * 86_400)
    rugged = next(p for p in pools if p.rugged)
    sim = feed(72)
    assert sim.pool(rugged.pool_id) == rugged and sim.pool("simpool-999999-0") is None
    before = SimPoolFeed(7, SimClock(rugged.created_at_ms), start_ms=START).pool(rugged.pool_id)
    assert before is not None and not before.rugged
    assert rugged.quote_reserve < before.quote_reserve * 0.1  # liquidity pulled


def test_the_watcher_ranks_candidates_and_flags_the_risk_facts() -> None:
    watcher = PoolWatcher(feed(30), max_age_s=6 * 3600, max_candidates=8)
    candidates = watcher.poll()
    assert 0 < len(candidates) <= 8
    assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
    every = PoolWatcher(feed(30), max_age_s=6 * 3600, max_candidates=500).poll()
    for c in every:
        assert c.flags == risk_flags(c.facts) and c.score == pool_score(c.facts)
        if c.facts.rugged or c.facts.honeypot:
            assert c.score == 0 and ({"rugged", "honeypot"} & set(c.flags))
    assert watcher.new_since(candidates, START + 30 * HOUR) == candidates  # all first seen now
    first_seen = dict(watcher.first_seen)  # every pool polled, not only the top candidates
    watcher.feed = feed(31)
    again = watcher.poll()
    assert any(c.facts.pool_id not in first_seen for c in again) or len(again) == 8
    assert all(c.first_seen_ms == first_seen.get(c.facts.pool_id, START + 31 * HOUR) for c in again)


def recorded_transport(calls: list[str], *, status: int = 200) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.url.path}?{request.url.query.decode()}")
        assert request.headers["Accept"] == "application/json;version=20230302"
        if status != 200:
            return httpx.Response(status, headers={"Retry-After": "30"}, json={"errors": [{"status": str(status)}]})
        path = request.url.path
        if path.endswith("/new_pools"):
            return httpx.Response(200, json=json.loads((DATA / "new_pools.json").read_text()))
        mint = path.split("/tokens/")[1].removesuffix("/info")
        file = DATA / f"token_info_{mint}.json"
        if not file.exists():
            return httpx.Response(404, json={"errors": [{"status": "404", "title": "Not Found"}]})
        return httpx.Response(200, json=json.loads(file.read_text()))

    return httpx.MockTransport(handle)


def gecko(calls: list[str], status: int = 200) -> GeckoTerminalFeed:
    client = httpx.Client(
        base_url="https://api.geckoterminal.com/api/v2",
        transport=recorded_transport(calls, status=status),
        headers={"Accept": "application/json;version=20230302"},
    )
    return GeckoTerminalFeed(network="solana", client=client, clock=SimClock(GT_NOW))


def test_geckoterminal_new_pools_parse_into_pool_facts() -> None:
    calls: list[str] = []
    pools = {p.symbol: p for p in gecko(calls).pools(max_age_s=7 * 86_400)}
    assert sorted(pools) == ["MOONCAT/SOL", "OLDIE/SOL", "RUGME/USDC"]
    assert calls[0] == "/api/v2/networks/solana/new_pools?include=base_token%2Cquote_token%2Cdex&page=1"
    cat = pools["MOONCAT/SOL"]
    assert (cat.venue, cat.pool_id) == ("raydium", "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU")
    assert cat.base_mint == "MCATx1oPZbnTqGqgH7f9wL3zQmVjAPu2ecd9uXn1pump"
    assert cat.quote_mint == "So11111111111111111111111111111111111111112"
    assert cat.quote_reserve == pytest.approx(61402.88 / 2 / 189.23)  # SOL on the quote side
    assert cat.price * 189.23 == pytest.approx(0.00041275)  # the pool price matches the reported USD price
    assert cat.created_at_ms == GT_NOW - (20 * 60 - 12) * 1000 and cat.age_s == 20 * 60 - 12
    assert (cat.top10_holder_pct, cat.mint_authority_revoked, cat.freeze_authority_revoked, cat.honeypot) == (
        31.4, True, True, False,
    )  # fmt: skip
    rug = pools["RUGME/USDC"]
    assert rug.honeypot and not rug.mint_authority_revoked and rug.top10_holder_pct == 93.8
    old = pools["OLDIE/SOL"]  # no token info (404): conservative facts
    assert old.top10_holder_pct == 100.0 and not old.mint_authority_revoked and not old.freeze_authority_revoked
    assert {"mint_authority", "concentrated"} <= set(risk_flags(old))
    assert [p.symbol for p in gecko([]).pools(max_age_s=86_400)] == ["MOONCAT/SOL", "RUGME/USDC"]  # by age


@pytest.mark.parametrize(("status", "error"), [(429, RateLimited), (503, TransientVenueError)])
def test_geckoterminal_http_errors_map_to_retry_classes(status: int, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        gecko([], status=status).pools(max_age_s=86_400)
    if status == 429:
        assert caught.value.retry_after_s == 30.0  # type: ignore[attr-defined]
