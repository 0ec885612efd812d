"""Protections: each registered plugin by example, the registry, lock de-duplication, closed-trade replay."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradepipe.config import Settings
from tradepipe.config.sections import ProtectionsSection
from tradepipe.core.risk import history, protections
from tradepipe.core.risk.protections import MINUTE_MS, lock_denial
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.risk import ANY, ClosedTrade, Lock, TradeHistory
from tradepipe.errors import ConfigurationError

D = Decimal
NOW = 1_800_000_000_000
H = 60 * MINUTE_MS


def cfg(**sections: dict[str, object]) -> ProtectionsSection:
    return Settings(protections=sections).protections


def only(name: str, **params: object) -> protections.Protection:
    (protection,) = protections.build(cfg(enabled=(name,), **({name: params} if params else {})))
    return protection


def trade(
    symbol: str = "A/USDT", *, ago_min: int = 10, purpose: str = "stop_loss", profit: float = -0.02
) -> ClosedTrade:
    return ClosedTrade("v", symbol, NOW - ago_min * MINUTE_MS, purpose, profit)


def test_registry_holds_the_four_protections_and_builds_them_in_config_order() -> None:
    assert set(protections.REGISTRY) >= {"cooldown", "stoploss_guard", "max_drawdown", "low_profit"}
    built = protections.build(cfg(enabled=("low_profit", "cooldown")))
    assert [p.name for p in built] == ["low_profit", "cooldown"]


def test_unknown_protection_is_a_configuration_error_naming_the_field() -> None:
    with pytest.raises(ConfigurationError, match=r"protections.enabled: unknown protection\(s\) \['nope'\]"):
        protections.build(cfg().model_copy(update={"enabled": ("cooldown", "nope")}))  # load refuses it first


def test_cooldown_locks_the_symbol_after_an_exit_until_the_period_ends() -> None:
    cooldown = only("cooldown", minutes=120)
    history_ = TradeHistory(
        (trade("A/USDT", ago_min=30, purpose="take_profit", profit=0.05), trade("B/USDT", ago_min=300))
    )
    (lock,) = cooldown.check(history_, NOW)
    assert (lock.protection, lock.venue, lock.symbol) == ("cooldown", "v", "A/USDT")
    assert lock.until_ms == NOW - 30 * MINUTE_MS + 120 * MINUTE_MS
    assert lock.active(NOW) and not lock.active(lock.until_ms)
    denial = lock_denial([lock], "v", "A/USDT", NOW)
    assert denial is not None and denial.rule == "protection:cooldown"
    assert lock_denial([lock], "v", "B/USDT", NOW) is None
    assert lock_denial([lock], "w", "A/USDT", NOW) is None


def test_stoploss_guard_locks_everything_after_too_many_stops() -> None:
    guard = only("stoploss_guard", lookback_minutes=600, trade_limit=3, lock_minutes=60)
    stops = [trade(s, ago_min=m) for s, m in [("A/USDT", 100), ("B/USDT", 50), ("C/USDT", 20)]]
    assert guard.check(TradeHistory(tuple(stops[:2])), NOW) == []
    take_profit = trade("D/USDT", ago_min=5, purpose="take_profit")
    assert guard.check(TradeHistory((*stops[:2], take_profit)), NOW) == []  # only stops count
    old = trade("E/USDT", ago_min=700)
    assert guard.check(TradeHistory((old, *stops[:2])), NOW) == []  # outside the lookback
    (lock,) = guard.check(TradeHistory(tuple(stops)), NOW)
    assert (lock.venue, lock.symbol) == (ANY, ANY)
    assert lock.until_ms == NOW - 20 * MINUTE_MS + 60 * MINUTE_MS
    assert lock_denial([lock], "any-venue", "ANY/USDT", NOW) is not None


def test_stoploss_guard_per_symbol_locks_only_that_symbol() -> None:
    guard = only("stoploss_guard", lookback_minutes=600, trade_limit=2, lock_minutes=60, per_symbol=True)
    stops = (trade("A/USDT", ago_min=30), trade("A/USDT", ago_min=10), trade("B/USDT", ago_min=5))
    (lock,) = guard.check(TradeHistory(stops), NOW)
    assert (lock.venue, lock.symbol) == ("v", "A/USDT")


def test_max_drawdown_breaker_halts_all_entries_for_the_lock_period() -> None:
    breaker = only("max_drawdown", lookback_minutes=600, max_drawdown=0.1, lock_minutes=120)
    marks = ((NOW - 5 * H, 10_000.0), (NOW - 3 * H, 11_000.0), (NOW, 9_800.0))  # 10.9 % below the 11 000 peak
    (lock,) = breaker.check(TradeHistory(equity=marks), NOW)
    assert (lock.venue, lock.symbol, lock.since_ms, lock.until_ms) == (ANY, ANY, NOW, NOW + 2 * H)
    assert "drawdown 10.9%" in lock.reason
    assert breaker.check(TradeHistory(equity=(*marks[:2], (NOW, 10_000.0))), NOW) == []  # 9.1 %
    old_peak = ((NOW - 20 * H, 20_000.0), (NOW, 9_800.0))
    assert breaker.check(TradeHistory(equity=old_peak), NOW) == []  # the peak lies outside the lookback


def test_low_profit_locks_a_symbol_whose_recent_trades_lost() -> None:
    low = only("low_profit", lookback_minutes=600, trade_limit=2, required_profit=0.0, lock_minutes=60)
    losing = (trade("A/USDT", ago_min=50, profit=-0.03), trade("A/USDT", ago_min=20, profit=0.01))
    winning = (trade("B/USDT", ago_min=50, profit=-0.01), trade("B/USDT", ago_min=20, profit=0.04))
    single = (trade("C/USDT", ago_min=10, profit=-0.5),)
    (lock,) = low.check(TradeHistory((*losing, *winning, *single)), NOW)
    assert (lock.symbol, lock.until_ms) == ("A/USDT", NOW - 20 * MINUTE_MS + H)
    assert "2 trades made -2.00% < 0.00%" in lock.reason


def test_evaluate_skips_scopes_already_locked_and_expired_locks() -> None:
    breaker = only("max_drawdown", lookback_minutes=600, max_drawdown=0.1, lock_minutes=120)
    marks = TradeHistory(equity=((NOW - H, 10_000.0), (NOW, 8_000.0)))
    (first,) = protections.evaluate([breaker], marks, NOW)
    assert protections.evaluate([breaker], marks, NOW + H, [first]) == []  # still locked: not re-locked
    later = TradeHistory(equity=((NOW + H, 10_000.0), (NOW + 2 * H, 8_000.0)))
    (again,) = protections.evaluate([breaker], later, NOW + 2 * H, [first])
    assert again.since_ms == NOW + 2 * H  # the first lock ran out while the drawdown persists
    cooldown = only("cooldown", minutes=10)
    assert protections.evaluate([cooldown], TradeHistory((trade(ago_min=30),)), NOW) == []  # already over


def test_a_global_lock_in_the_portfolio_denies_every_candidate() -> None:
    lock = Lock("max_drawdown", ANY, ANY, "equity drawdown", NOW, NOW + H)
    assert lock_denial([lock], ANY, ANY, NOW) is not None
    assert lock_denial([lock], ANY, ANY, NOW + H) is None
    symbol_lock = Lock("cooldown", "v", "A/USDT", "cooldown", NOW, NOW + H)
    assert lock_denial([symbol_lock], ANY, ANY, NOW) is None  # a symbol lock is not a blanket one


def fill(side: Side, amount: str, price: str, at_min: int, *, symbol: str = "A/USDT", fee: str = "0") -> Fill:
    return Fill(
        "v",
        f"t{at_min}",
        f"o{at_min}",
        f"c{at_min}",
        symbol,
        side,
        D(amount),
        D(price),
        D(fee),
        "USDT",
        NOW + at_min * MINUTE_MS,
    )


def test_closed_trades_replay_fills_with_fees_and_partial_exits() -> None:
    fills = [
        (fill(Side.BUY, "2", "100", 0, fee="0.2"), "entry"),
        (fill(Side.SELL, "1", "110", 10, fee="0.11"), "take_profit"),
        (fill(Side.SELL, "1", "90", 20, fee="0.09"), "stop_loss"),
        (fill(Side.SELL, "1", "90", 30, symbol="B/USDT"), "exit"),  # no entry in the replay: skipped
    ]
    first, second = history.closed_trades(fills)
    assert (first.purpose, first.closed_at_ms) == ("take_profit", NOW + 10 * MINUTE_MS)
    assert first.profit_ratio == pytest.approx((110 - 100 - 0.11) / 100)
    assert second.purpose == "stop_loss"
    assert second.profit_ratio == pytest.approx((90 - 100 - 0.09) / 100)  # the entry fee stays with the position


def test_day_start_equity_is_the_first_mark_of_the_utc_day() -> None:
    day = 86_400_000
    start = (NOW // day) * day
    marks = [(start - H, D("900")), (start + H, D("1000")), (start + 2 * H, D("950"))]
    assert history.day_start_equity(marks, start + 3 * H) == D("1000")
    assert history.day_start_equity(marks, start - 1) == D("900")
    assert history.day_start_equity([], NOW) is None
