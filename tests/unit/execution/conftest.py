"""Execution tests: a real ledger (SQLite file, migrated once per session and copied per test) and real
simulated venues with seeded fault injection — never a mock of our own gateway or journal."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest

from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.adapters.venues.sim_exchange import FaultPlan, SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.core.execution import ExecutionPolicy, Pacer
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side

VENUE = "sim-exec"
SYMBOLS = ["BTC/USDT", "ETH/USDT", "DOGE/USDT"]
HOUR = 3_600_000


@dataclass
class SteppingClock:
    """A clock the test moves by hand."""

    at_ms: int

    def now_ms(self) -> int:
        return self.at_ms


@pytest.fixture(scope="session")
def market() -> SimMarket:
    return SimMarket(seed=13, history_bars=300, future_bars=50)


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ledger-template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    ledger = Ledger(engine)
    ledger.start_run("run-1", as_of_ms=1_000, mode="paper", seed=13)
    engine.dispose()
    return path


@pytest.fixture
def ledger(_template_db: Path, tmp_path: Path) -> Ledger:
    path = tmp_path / "ledger.db"
    shutil.copy(_template_db, path)
    return Ledger(make_engine(f"sqlite:///{path}"))


@pytest.fixture
def clock(market: SimMarket) -> SteppingClock:
    return SteppingClock(market.history_end_ms)


VenueFactory = Callable[..., SimExchange]


@pytest.fixture
def make_venue(market: SimMarket, clock: SteppingClock) -> VenueFactory:
    def build(
        name: str = VENUE,
        faults: FaultPlan | None = None,
        *,
        cash: float = 100_000.0,
        depth: float = 400_000.0,
        spread_bps: float = 2.0,
        taker_fee: float = 0.001,
        stops: bool = True,
        realism: Realism | None = None,
        balances: dict[str, float] | None = None,
    ) -> SimExchange:
        return SimExchange(
            name,
            market,
            clock,
            symbols=SYMBOLS,
            taker_fee=taker_fee,
            maker_fee=0.0008,
            depth_usd=depth,
            spread_bps=spread_bps,
            faults=faults,
            starting_balances=balances or {"USDT": cash},
            supports_stop_orders=stops,
            realism=realism,
        )

    return build


class RecordingSleep:
    """Pacing without waiting: records the sleeps and advances a fake monotonic clock."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def sleeper() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def pacer(sleeper: RecordingSleep) -> Pacer:
    return Pacer(ExecutionPolicy(), sleep=sleeper.sleep, monotonic=sleeper.monotonic)


def intent(
    amount: str,
    symbol: str = "ETH/USDT",
    side: Side = Side.BUY,
    *,
    venue: str = VENUE,
    seq: int = 0,
    run_id: str = "run-1",
    order_type: OrderType = OrderType.MARKET,
    purpose: IntentPurpose = IntentPurpose.ENTRY,
    **fields: object,
) -> OrderIntent:
    return OrderIntent(
        client_order_id=client_order_id(run_id, venue, symbol, side.value, seq),
        run_id=run_id,
        venue=venue,
        symbol=symbol,
        side=side,
        amount=Decimal(amount),
        order_type=order_type,
        purpose=purpose,
        reference_price=Decimal("1"),
        **fields,  # type: ignore[arg-type]
    )


def venue_orders(venue: SimExchange, cid: str | None = None) -> list[str]:
    """Orders the venue holds (optionally only those with client id ``cid``)."""
    return [o.id for o in venue.account.state.orders.values() if cid is None or o.client_order_id == cid]
