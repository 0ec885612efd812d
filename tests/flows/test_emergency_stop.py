"""The emergency-stop and reconcile flows under a real (temporary) Prefect API."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from flows.emergency_stop import emergency_stop
from flows.reconcile import reconcile
from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.cli import app
from tradepipe.config import Settings
from tradepipe.core import execution, venue_mapping
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.stages import start
from tradepipe.stages.marks import portfolio_state

pytestmark = pytest.mark.timeout(400)
HOLDINGS = [("sim-alpha", "BTC/USDT", "0.01"), ("sim-beta", "ETH/USDT", "0.2"), ("sim-alpha", "SOL/USDT", "3")]


def trading_book(tmp_path: Path) -> Settings:
    """A ledger with three open positions and two resting limit orders (one ours, one placed by hand)."""
    settings = make_settings(tmp_path / "state")
    ctx = start.open_cycle(settings, "run-1")
    gateways = wiring.gateways(settings, ctx.as_of_ms)
    ledger = wiring.ledger(settings)
    intents = [
        OrderIntent(client_order_id("run-1", v, s, "buy", 0), "run-1", v, s, Side.BUY, Decimal(a), OrderType.MARKET,
                    IntentPurpose.ENTRY, Decimal("1"))
        for v, s, a in HOLDINGS
    ]  # fmt: skip
    assert len(execution.execute_intents(intents, gateways, ledger).filled) == 3
    ours = OrderIntent("tp-resting", "run-1", "sim-alpha", "BTC/USDT", Side.BUY, Decimal("0.01"), OrderType.LIMIT,
                       IntentPurpose.ENTRY, Decimal("1000"))  # fmt: skip
    ledger.add_intent(ours)
    raw = gateways["sim-alpha"].create_order("BTC/USDT", "limit", "buy", 0.01, 1000.0, {"clientOrderId": "tp-resting"})
    ledger.record_order(venue_mapping.order("sim-alpha", raw, "tp-resting", []))
    gateways["sim-beta"].create_order("ETH/USDT", "limit", "buy", 0.1, 100.0, {"clientOrderId": "by-hand"})
    assert sum(len(g.fetch_open_orders()) for g in gateways.values()) == 2
    ledger.finish_run("run-1", status="completed", equity=None, summary={})
    return settings


def test_emergency_stop_cancels_every_order_closes_every_position_and_halts(prefect_api: str, tmp_path: Path) -> None:
    settings = trading_book(tmp_path)
    ledger = wiring.ledger(settings)
    result = emergency_stop(settings=settings)
    gateways = wiring.gateways(settings, ledger.last_as_of_ms())
    assert [o for g in gateways.values() for o in g.fetch_open_orders()] == []
    assert result["canceled"] == 2 and result["still_open"] == [] and result["cancel_failed"] == []
    assert ledger.open_positions() == []
    assert len(result["closed"]) == 3
    for venue, symbol, _ in HOLDINGS:  # the wallets hold no base asset either
        assert gateways[venue].fetch_balance()["total"].get(symbol.split("/")[0], 0) == 0
    (halt,) = ledger.active_halts()
    assert halt.source == "emergency_stop"
    assert "emergency stop" in (portfolio_state(settings, [], {}).halted or "")
    with ledger.engine.connect() as conn:
        assert conn.execute(text("select status from orders where client_order_id = 'tp-resting'")).scalar() == (
            "canceled"
        )
        modes = [r[0] for r in conn.execute(text("select mode from runs order by cycle"))]
    assert modes == ["paper", "emergency_stop"]

    results = reconcile(settings=settings)  # the ledger agrees with the wallets after the stop
    assert [r.status for r in results] == ["clean", "clean"]

    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{settings.state_dir}"\n')
    resumed = CliRunner().invoke(app, ["resume", "--config", str(config)])
    assert resumed.exit_code == 0, resumed.output
    assert "lifted 1 halt" in resumed.output
    assert ledger.active_halts() == [] and portfolio_state(settings, [], {}).halted is None


def test_emergency_stop_from_the_cli_can_leave_positions_open(prefect_api: str, tmp_path: Path) -> None:
    settings = trading_book(tmp_path)
    config = tmp_path / "tp.toml"
    config.write_text(f'state_dir = "{settings.state_dir}"\n')
    stopped = CliRunner().invoke(app, ["emergency-stop", "--leave-positions", "--config", str(config)])
    assert stopped.exit_code == 0, stopped.output
    assert "HALTED" in stopped.output and "canceled 2 open order(s)" in stopped.output
    assert "positions were left open" in stopped.output
    ledger = wiring.ledger(settings)
    gateways = wiring.gateways(settings, ledger.last_as_of_ms())
    assert [o for g in gateways.values() for o in g.fetch_open_orders()] == []
    assert len(ledger.open_positions()) == 3
    assert len(ledger.active_halts()) == 1
    reconciled = CliRunner().invoke(app, ["reconcile", "--config", str(config)])
    assert reconciled.exit_code == 0, reconciled.output
    assert "reconciliation: clean" in reconciled.output
