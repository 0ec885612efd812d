"""Stage 7 end to end on the paper broker: configured rules, persisted exit state, partial and full exits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import text

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.core import execution
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.stages import manage as manage_stage
from tradepipe.stages import start

VENUE = "sim-alpha"


def test_ladder_sells_part_trailing_state_is_kept_and_a_stop_closes_the_rest(ledger_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state", database_url=ledger_url, sim={"venues": [VENUE]},
        exits={"rules": ["stop_loss", "ladder", "trailing_stop"], "ladder_levels_pct": [0.05],
               "ladder_fractions": [0.5], "trailing_activation_pct": 0.5},
    )  # fmt: skip
    ctx = start.open_cycle(settings, "run-1")
    ledger = wiring.ledger(settings)
    gateways = wiring.gateways(settings, ctx.as_of_ms)
    buys = [
        OrderIntent(f"tp-m-{s[:3]}", "run-1", VENUE, s, Side.BUY, Decimal(a), OrderType.MARKET, IntentPurpose.ENTRY,
                    Decimal("1"))
        for s, a in (("ETH/USDT", "0.4"), ("SOL/USDT", "4"))
    ]  # fmt: skip
    assert len(execution.execute_intents(buys, gateways, ledger).filled) == 2
    with ledger.engine.begin() as conn:  # ETH: entry 10% lower, so the +5% ladder level is crossed now
        conn.execute(text("update positions set average_price = average_price * 0.9 where symbol = 'ETH/USDT'"))
        conn.execute(text("update positions set stop_loss = average_price * 2 where symbol = 'SOL/USDT'"))
    report = manage_stage.manage(settings, ctx)
    assert len(report.filled) == 2
    positions = {p.symbol: p for p in ledger.open_positions()}
    assert set(positions) == {"ETH/USDT"}  # SOL's stop was above the mark: sold in full
    eth = positions["ETH/USDT"]
    assert eth.amount == Decimal("0.2") and eth.exits_taken == 1 and eth.entry_amount == Decimal("0.4")
    assert eth.high_water_mark is not None  # watched for the trailing stop, persisted on the row
    with ledger.engine.connect() as conn:
        purposes = dict(conn.execute(text("select symbol, purpose from order_intents where side = 'sell'")).all())
    assert purposes == {"ETH/USDT": "take_profit", "SOL/USDT": "stop_loss"}
    again = manage_stage.manage(settings, start.open_cycle(settings, "run-2"))
    assert again.filled == []  # the level fires once
