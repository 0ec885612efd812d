"""Protection locks are persisted: evaluated from real ledger fills, they survive a restart (SQLite and PostgreSQL)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.storage.protections import ProtectionStore
from tradepipe.core.risk import PortfolioState, plan_entries
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import MarketRules
from tradepipe.domain.orders import Fill, IntentPurpose, Order, OrderIntent, OrderStatus, OrderType, Side
from tradepipe.domain.risk import ANY, Lock
from tradepipe.domain.strategy import Decision, Direction, Signal
from tradepipe.stages import risk_facts

D = Decimal
T0 = 1_800_000_000_000
MIN = 60_000
RULES = MarketRules(D("0.001"), D("0.01"), D("0.001"), D("5"), D("0.001"))


def trade(ledger: Ledger, run: str, n: int, side: Side, purpose: IntentPurpose, price: str, at_ms: int) -> None:
    coid = f"c-{n}"
    intent = OrderIntent(coid, run, "v", "A/USDT", side, D("1"), OrderType.MARKET, purpose, D(price))
    assert ledger.add_intent(intent)
    fill = Fill("v", f"t-{n}", f"o-{n}", coid, "A/USDT", side, D("1"), D(price), D("0"), "USDT", at_ms)
    ledger.record_order(
        Order(
            "v",
            f"o-{n}",
            coid,
            "A/USDT",
            side,
            OrderType.MARKET,
            D("1"),
            D("1"),
            D(price),
            OrderStatus.FILLED,
            at_ms,
            (fill,),
        )
    )


def entry_state(locks: tuple[Lock, ...], now: int) -> PortfolioState:
    return PortfolioState({"v": D("10000")}, frozenset(), D("10000"), D("10000"), locks=locks, as_of_ms=now)


def try_entry(locks: tuple[Lock, ...], now: int, symbol: str = "B/USDT") -> list[str]:
    d = Decision("v", symbol, "trend_up", (Signal("s", Direction.LONG, 0.8, "t"),), 0.8, 10.0, 0.2, 0.01)
    out = plan_entries([d], entry_state(locks, now), {("v", symbol): RULES}, make_settings(Path("x")).risk, run_id="r")
    return [n.rule for _, n in out.denials] or ["approved"]


def test_locks_survive_a_restart_and_are_stored_once(ledger_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state",
        database_url=ledger_url,
        protections={"enabled": ["stoploss_guard", "cooldown"], "stoploss_guard": {"trade_limit": 2}},
    )
    ledger = wiring.ledger(settings)
    ledger.fund("v", "USDT", D("10000"))
    ledger.start_run("run-a", as_of_ms=T0, mode="paper", seed=7)
    trade(ledger, "run-a", 1, Side.BUY, IntentPurpose.ENTRY, "100", T0)
    trade(ledger, "run-a", 2, Side.SELL, IntentPurpose.STOP_LOSS, "95", T0 + 10 * MIN)
    trade(ledger, "run-a", 3, Side.BUY, IntentPurpose.ENTRY, "96", T0 + 20 * MIN)
    trade(ledger, "run-a", 4, Side.SELL, IntentPurpose.STOP_LOSS, "90", T0 + 30 * MIN)
    now = T0 + 40 * MIN

    store = ProtectionStore(ledger.engine)
    assert [p for _, p in store.exit_history()] == ["entry", "stop_loss", "entry", "stop_loss"]
    state = risk_facts.with_protections(settings, CycleContext("run-a", 1, now), entry_state((), now))
    assert {(lk.protection, lk.venue, lk.symbol) for lk in state.locks} == {
        ("stoploss_guard", ANY, ANY),
        ("cooldown", "v", "A/USDT"),
    }
    risk_facts.with_protections(settings, CycleContext("run-a", 1, now + MIN), entry_state((), now + MIN))
    assert len(store.active_locks(now + MIN)) == 2  # evaluated again: nothing stored twice
    assert try_entry(state.locks, now) == ["protection:stoploss_guard"]

    # restart: a new engine (a new process would see the same rows); the protections are now disabled, so the
    # lock that denies entries is the persisted one, not a re-computation
    fresh = ProtectionStore(make_engine(ledger_url))
    migrate(fresh.engine)
    after = fresh.active_locks(now + 5 * MIN)
    assert {lk.protection for lk in after} == {"stoploss_guard", "cooldown"}
    assert try_entry(tuple(after), now + 5 * MIN) == ["protection:stoploss_guard"]
    guard = next(lk for lk in after if lk.protection == "stoploss_guard")
    assert fresh.active_locks(guard.until_ms) == []  # the lock runs out at its end
    assert try_entry(tuple(fresh.active_locks(guard.until_ms)), guard.until_ms) == ["approved"]
    assert fresh.release(now + 5 * MIN, protection="cooldown") == 1
    assert {lk.protection for lk in fresh.active_locks(now + 5 * MIN)} == {"stoploss_guard"}
    fresh.engine.dispose()


def test_max_drawdown_breaker_lock_outlives_the_drawdown(ledger_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state",
        database_url=ledger_url,
        protections={"enabled": ["max_drawdown"], "max_drawdown": {"max_drawdown": 0.1, "lock_minutes": 600}},
    )
    ledger = wiring.ledger(settings)
    ledger.start_run("run-1", as_of_ms=T0, mode="paper", seed=7)
    ledger.finish_run("run-1", status="completed", equity=D("10000"), summary={})
    now = T0 + 60 * MIN
    down = entry_state((), now)
    down = PortfolioState(down.cash, down.open_positions, D("8500"), D("10000"), as_of_ms=now)
    state = risk_facts.with_protections(settings, CycleContext("run-2", 2, now), down)
    assert [lk.protection for lk in state.locks] == ["max_drawdown"]
    # equity recovered an hour later, after a restart: the breaker still halts entries for its period
    fresh = ProtectionStore(make_engine(ledger_url))
    later = now + 60 * MIN
    assert try_entry(tuple(fresh.active_locks(later)), later, "C/USDT") == ["protection:max_drawdown"]
    assert try_entry(tuple(fresh.active_locks(now + 600 * MIN)), now + 600 * MIN, "C/USDT") == ["approved"]
    fresh.engine.dispose()


def test_reserved_cash_counts_open_buy_intents_only(ledger_url: str, tmp_path: Path) -> None:
    engine = make_engine(ledger_url)
    migrate(engine)
    ledger = Ledger(engine)
    ledger.start_run("run-r", as_of_ms=T0, mode="paper", seed=7)
    for n, (side, price) in enumerate([(Side.BUY, "10"), (Side.BUY, "20"), (Side.SELL, "30")]):
        intent = OrderIntent(
            f"r-{n}", "run-r", "v", "A/USDT", side, D("2"), OrderType.MARKET, IntentPurpose.ENTRY, D(price)
        )
        ledger.add_intent(intent)
    trade(ledger, "run-r", 9, Side.BUY, IntentPurpose.ENTRY, "50", T0)  # filled: holds nothing
    assert ProtectionStore(engine).reserved_cash() == {"v": D("60")}
    engine.dispose()
