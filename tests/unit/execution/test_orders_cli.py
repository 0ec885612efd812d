"""``tradepipe orders list|show`` on a ledger with a filled, a working, a rejected and a denied order."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from typer.testing import CliRunner

from tests.conftest import make_settings
from tests.unit.execution.conftest import VenueFactory, intent
from tradepipe import wiring
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.cli import app
from tradepipe.core.execution import ExecutionPolicy, Pacer, execute_intents
from tradepipe.domain.orders import OrderType
from tradepipe.stages import start

runner = CliRunner()


def test_orders_list_and_show(tmp_path: Path, make_venue: VenueFactory) -> None:
    settings = make_settings(tmp_path / "state")
    start.open_cycle(settings, "run-1")
    ledger = wiring.ledger(settings)
    venue = make_venue("sim-alpha")
    picky = make_venue("sim-picky", realism=Realism(reject_rate=1.0))
    filled = intent("1", venue="sim-alpha")
    resting = intent("1", venue="sim-alpha", seq=1, order_type=OrderType.LIMIT, limit_price=Decimal(1000))
    rejected = intent("1", venue="sim-picky", seq=2)
    busy = make_venue("sim-busy", faults=FaultPlan(rate_limit={"create_order": 1.0}))
    denied = intent("1", venue="sim-busy", seq=3)  # still rate limited after the last round: never sent
    gateways = {"sim-alpha": venue, "sim-picky": picky, "sim-busy": busy}
    pacer = Pacer(ExecutionPolicy(), sleep=lambda _: None)
    policy = ExecutionPolicy(routing="off", rate_limit_rounds=1)
    execute_intents([filled, resting, rejected, denied], gateways, ledger, policy=policy, pacer=pacer)
    config = ["-c", str(Path(__file__).parents[3] / "tradepipe.toml")]
    env = {"TRADEPIPE_STATE_DIR": str(settings.state_dir), "COLUMNS": "160"}
    listed = runner.invoke(app, ["orders", "list", *config], env=env)
    assert listed.exit_code == 0, listed.output
    assert "filled" in listed.output and "accepted" in listed.output and "simulated reject" in listed.output
    assert "denied" in listed.output and "still rate limited" in listed.output
    only_open = runner.invoke(app, ["orders", "list", "--open", *config], env=env)
    assert "accepted" in only_open.output and "rejected" not in only_open.output and "denied" not in only_open.output
    shown = runner.invoke(app, ["orders", "show", filled.client_order_id[:12], *config], env=env)
    assert shown.exit_code == 0, shown.output
    for word in ("initialized", "submitted", "accepted", "filled"):
        assert word in shown.output
    assert runner.invoke(app, ["orders", "show", "tp", *config], env=env).exit_code == 1  # ambiguous prefix
