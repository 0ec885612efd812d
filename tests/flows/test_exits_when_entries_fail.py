"""A stage of the entry path fails: the cycle still runs its exits before it fails."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import text

from flows.trading_cycle import trading_cycle
from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.core import execution
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.stages import start

pytestmark = pytest.mark.timeout(400)


def test_a_failing_gate_still_lets_the_stop_loss_sell(prefect_api: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state", discovery={"max_symbols": 10}, quality={"gx_enabled": False},
        exits={"rules": ["stop_loss"]},
    )  # fmt: skip
    ctx = start.open_cycle(settings, "run-setup")
    ledger = wiring.ledger(settings)
    buy = OrderIntent("tp-f-eth", "run-setup", "sim-alpha", "ETH/USDT", Side.BUY, Decimal("0.4"), OrderType.MARKET,
                      IntentPurpose.ENTRY, Decimal("1"))  # fmt: skip
    assert len(execution.execute_intents([buy], wiring.gateways(settings, ctx.as_of_ms), ledger).filled) == 1
    with ledger.engine.begin() as conn:
        conn.execute(text("update positions set stop_loss = average_price * 2"))  # above the mark: must sell
    (Path(settings.state_dir) / "quality").write_text("not a directory")  # the gate cannot write its report

    with pytest.raises(OSError):
        trading_cycle(settings=settings)
    assert ledger.open_positions() == []
    with ledger.engine.connect() as conn:
        sells = conn.execute(text("select purpose from order_intents where side = 'sell'")).scalars().all()
    assert sells == ["stop_loss"]
