"""The trading-cycle flow under a real (temporary) Prefect API: two cycles continue from the ledger."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from sqlalchemy import text

from flows.trading_cycle import trading_cycle
from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings

pytestmark = pytest.mark.timeout(400)
STAGES = ["discover", "fetch", "gate", "evaluate", "size", "execute", "manage", "reconcile"]


@pytest.fixture(scope="module")
def two_cycles(prefect_api: str, tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[dict]]:
    settings = make_settings(
        tmp_path_factory.mktemp("cycle") / "state", discovery={"max_symbols": 30}, sim={"bad_data_every": 5}
    )
    summaries = [trading_cycle(settings=settings).as_dict() for _ in range(2)]
    return settings, summaries


def rows(settings: Settings, sql: str) -> list[tuple]:
    with wiring.ledger(settings).engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]


def wallet_client_ids(settings: Settings) -> list[str]:
    ids = []
    for wallet in sorted((Path(settings.state_dir) / "paper").glob("*.json")):
        orders = json.loads(wallet.read_text())["account"]["orders"]
        ids += [o["client_order_id"] for o in (orders.values() if isinstance(orders, dict) else orders)]
    return ids


def test_first_cycle_trades_through_all_stages(two_cycles: tuple[Settings, list[dict]]) -> None:
    settings, (first, _) = two_cycles
    assert first["cycle"] == 1 and first["universe"] == 30
    assert first["orders"] > 0 and first["fills"] >= first["orders"]
    assert list(first["stage_seconds"]) == STAGES
    assert first["reconciliation"] == "clean"
    assert rows(settings, "select count(*) from decisions where run_id = :r".replace(":r", f"'{first['run_id']}'")) == [
        (first["universe"] - len({(q["venue"], q["symbol"]) for q in first["quarantined"]}),)
    ]


def test_quarantined_symbols_never_get_an_order(two_cycles: tuple[Settings, list[dict]]) -> None:
    settings, (first, second) = two_cycles
    planted = set(SimMarket(settings.seed, bad_data_every=settings.sim.bad_data_every).planted_defects())
    evaluated = set(rows(settings, f"select venue, symbol from decisions where run_id = '{first['run_id']}'"))
    quarantined = {(q["venue"], q["symbol"]) for q in first["quarantined"]}
    universe = evaluated | quarantined
    assert quarantined  # the sim plants one bad candle in every 5th symbol
    assert quarantined == {(v, s) for v, s in universe if s in planted}
    traded = set(rows(settings, "select venue, symbol from order_intents"))
    assert traded and not (traded & quarantined)
    assert not (traded & {(q["venue"], q["symbol"]) for q in second["quarantined"]})


def test_second_cycle_continues_from_the_ledger_without_duplicate_orders(
    two_cycles: tuple[Settings, list[dict]],
) -> None:
    settings, (first, second) = two_cycles
    assert second["cycle"] == 2
    as_of = dict(rows(settings, "select cycle, as_of_ms from runs"))
    assert as_of[2] - as_of[1] == timeframe_ms(settings.marketdata.timeframe)
    held_before = {(p["venue"], p["symbol"]) for p in first["open_positions"]}
    held_after = {(p["venue"], p["symbol"]) for p in second["open_positions"]}
    sold = set(rows(settings, "select venue, symbol from fills where side = 'sell'"))
    assert held_before <= held_after | sold  # carried, unless an exit sold it
    venue_ids = wallet_client_ids(settings)
    ledger_ids = [r[0] for r in rows(settings, "select client_order_id from orders")]
    assert len(venue_ids) == len(set(venue_ids))  # the venue never saw a client id twice
    assert sorted(venue_ids) == sorted(ledger_ids)
    assert second["reconciliation"] == "clean"


def test_equity_is_cash_plus_marked_positions(two_cycles: tuple[Settings, list[dict]]) -> None:
    _, (_, second) = two_cycles
    marked = sum((Decimal(p["amount"]) * Decimal(p["mark"]) for p in second["open_positions"]), Decimal(0))
    assert abs(Decimal(second["cash"]) + marked - Decimal(second["equity"])) < Decimal("0.01") * (
        1 + len(second["open_positions"])
    )  # marks are shown to 6 significant digits


def test_report_artifact_is_published(two_cycles: tuple[Settings, list[dict]]) -> None:
    _, (_, second) = two_cycles
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    reports = [a for a in artifacts if a.key == "trading-cycle-report"]
    assert reports
    assert any(f"`{second['run_id']}`" in str(a.data) for a in reports)


def test_gate_blocks_planted_symbols_and_links_its_reports(two_cycles: tuple[Settings, list[dict]]) -> None:
    """Issue 5: the gate is a blocking task; its HTML report and GX Data Docs are linked from artifacts."""
    settings, (first, second) = two_cycles
    planted = set(SimMarket(settings.seed, bad_data_every=settings.sim.bad_data_every).planted_defects())
    runs = rows(settings, "select run_id, quarantined, blocked, gx_status, html_report, data_docs from quality_runs")
    assert [r[0] for r in runs] == [first["run_id"], second["run_id"]]
    for _, quarantined, blocked, gx_status, html_report, data_docs in runs:
        assert quarantined > 0 and blocked >= quarantined
        assert gx_status == "failed"  # the planted NaN / non-positive / high<low bars fail GX expectations too
        assert Path(html_report).is_file() and Path(data_docs.removeprefix("file://")).is_file()
    blocked = set(rows(settings, "select distinct venue, symbol from quarantine where released_at is null"))
    assert blocked and {s for _, s in blocked} <= planted
    decided = set(rows(settings, f"select venue, symbol from decisions where run_id = '{second['run_id']}'"))
    assert not decided & blocked  # removed from evaluation, so no entry can be sized
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts()
    by_key = {a.key: a for a in sorted(artifacts, key=lambda a: a.created)}
    assert second["run_id"] in str(by_key["quality-gate"].data)
    assert "Data Docs" in str(by_key["quality-gate"].data) and "| quarantine |" in str(by_key["quality-gate"].data)
    assert str(by_key["quality-report"].data).startswith("[quality report](file://")
    assert "data_docs/local_site" in str(by_key["quality-data-docs"].data)
