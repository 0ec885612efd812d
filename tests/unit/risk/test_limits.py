"""Portfolio limits via ``plan_entries``: daily loss, exposure caps, reserve cash, vol targeting, locks, scaling in."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import numpy as np
import pytest

from tradepipe.config import Settings
from tradepipe.config.sections import RiskSection
from tradepipe.core.risk import PortfolioState, ReturnPanel, plan_entries
from tradepipe.domain.market import MarketRules
from tradepipe.domain.risk import ANY, Lock
from tradepipe.domain.strategy import Decision, Direction, Signal

D = Decimal
RUN = "run-1"
NOW = 1_800_000_000_000
RULES = MarketRules(D("0.001"), D("0.01"), D("0.001"), D("5"), D("0.001"))


def decision(symbol: str = "ABC/USDT", *, venue: str = "v", score: float = 0.8, vol: float = 0.01) -> Decision:
    return Decision(venue, symbol, "trend_up", (Signal("s", Direction.LONG, score, "t"),), score, 10.0, 0.2, vol)


def cfg(**overrides: object) -> RiskSection:
    return Settings().risk.model_copy(update=overrides)


def state(**overrides: object) -> PortfolioState:
    base = PortfolioState(
        cash={"v": D("10000"), "w": D("10000")},
        open_positions=frozenset(),
        equity=D("20000"),
        peak_equity=D("20000"),
        as_of_ms=NOW,
    )
    return dataclasses.replace(base, **overrides)


def plan(decisions: list[Decision], st: PortfolioState, risk: RiskSection, **kw: object):  # type: ignore[no-untyped-def]
    rules = {(d.venue, d.symbol): RULES for d in decisions}
    return plan_entries(decisions, st, rules, risk, run_id=RUN, **kw)  # type: ignore[arg-type]


def rules_of(outcome) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(d.symbol, n.rule) for d, n in outcome.denials]


def test_max_daily_loss_denies_every_entry() -> None:
    out = plan([decision()], state(equity=D("19000"), day_start_equity=D("20000")), cfg(max_daily_loss=0.05))
    assert out.intents == ()
    ((_, denial),) = out.denials
    assert (denial.rule, denial.detail) == ("max_daily_loss", "loss today 5.0% ≥ 5.0%")
    assert plan([decision()], state(equity=D("19100"), day_start_equity=D("20000")), cfg()).intents


def test_symbol_exposure_cap_cuts_the_entry_to_the_room_left() -> None:
    # 3 000 of ABC already held on w; cap 20 % of 20 000 = 4 000 → at most 1 000 more on v
    held = state(open_positions=frozenset({("w", "ABC/USDT")}), exposures={("w", "ABC/USDT"): D("3000")})
    big = cfg(trade_size_pct=0.5, max_symbol_exposure_pct=0.2, correlation_deny_above=1.0)
    (intent,) = plan([decision()], held, big).intents
    assert intent.amount * intent.reference_price <= D("1000")
    assert intent.amount == D("100.000")
    assert "cut by max_symbol_exposure" in intent.reason


def test_symbol_exposure_cap_denies_when_no_room_is_left() -> None:
    held = state(open_positions=frozenset({("w", "ABC/USDT")}), exposures={("w", "ABC/USDT"): D("5000")})
    out = plan([decision()], held, cfg(max_symbol_exposure_pct=0.25))
    assert rules_of(out) == [("ABC/USDT", "max_symbol_exposure")]


def test_venue_and_quote_exposure_caps() -> None:
    held = state(open_positions=frozenset({("v", "X/USDT")}), exposures={("v", "X/USDT"): D("4000")})
    out = plan([decision()], held, cfg(max_venue_exposure_pct=0.2))
    assert rules_of(out) == [("ABC/USDT", "max_venue_exposure")]
    out = plan([decision(venue="w")], held, cfg(max_venue_exposure_pct=0.2))
    assert out.intents  # the other venue has room
    out = plan([decision(venue="w")], held, cfg(max_quote_exposure_pct=0.2))
    assert rules_of(out) == [("ABC/USDT", "max_quote_exposure")]
    out = plan([decision("ABC/BTC", venue="w")], held, cfg(max_quote_exposure_pct=0.2))
    assert out.intents  # BTC-quoted exposure is separate


def test_caps_count_entries_approved_earlier_in_the_same_call() -> None:
    risk = cfg(trade_size_pct=0.3, max_venue_exposure_pct=0.2, max_symbol_exposure_pct=1.0, reserve_cash_pct=0.0)
    out = plan([decision("A/USDT", score=0.9), decision("B/USDT", score=0.8)], state(), risk)
    spent = sum(i.amount * i.reference_price for i in out.intents)
    assert spent <= D("4000")  # 20 % of 20 000 on venue v across both entries


def test_reserve_cash_is_never_spent() -> None:
    risk = cfg(trade_size_pct=1.0, reserve_cash_pct=0.5, max_symbol_exposure_pct=1.0, max_venue_exposure_pct=1.0)
    out = plan([decision(vol=0.001)], state(cash={"v": D("10000")}, equity=D("10000"), peak_equity=D("10000")), risk)
    (intent,) = out.intents
    assert intent.amount * intent.reference_price * (1 + RULES.taker_fee) <= D("5000")


def test_open_orders_reserve_cash() -> None:
    risk = cfg(trade_size_pct=1.0, reserve_cash_pct=0.0, max_symbol_exposure_pct=1.0)
    out = plan([decision(vol=0.001)], state(reserved={"v": D("9996")}), risk)  # 4 left < the 5 minimum
    assert rules_of(out) == [("ABC/USDT", "insufficient_cash")]


def test_portfolio_volatility_target_cuts_the_entry() -> None:
    # an uncorrelated candidate with 5 % per-bar vol; cap 0.5 % per bar: weight ≤ 0.1 → ≤ 2 000 of 20 000 equity
    risk = cfg(
        trade_size_pct=1.0,
        target_volatility=0.05,
        max_portfolio_volatility=0.005,
        max_symbol_exposure_pct=1.0,
        reserve_cash_pct=0,
    )
    (intent,) = plan([decision(vol=0.05)], state(), risk).intents
    assert intent.amount * intent.reference_price <= D("2000")
    assert intent.amount * intent.reference_price > D("1999")
    assert "cut by max_portfolio_volatility" in intent.reason


def test_portfolio_already_above_the_volatility_target_denies() -> None:
    held = state(open_positions=frozenset({("w", "X/USDT")}), exposures={("w", "X/USDT"): D("10000")})
    # X has no returns: the target volatility (1 %) is assumed; weight 0.5 → 0.5 % ≥ cap 0.4 %
    out = plan([decision()], held, cfg(max_portfolio_volatility=0.004))
    assert rules_of(out) == [("ABC/USDT", "max_portfolio_volatility")]


def test_symbol_lock_denies_only_that_symbol_and_global_lock_denies_all() -> None:
    cool = Lock("cooldown", "v", "A/USDT", "cooldown 120 min after the exit", NOW - 1, NOW + 60_000)
    out = plan([decision("A/USDT"), decision("B/USDT")], state(locks=(cool,)), cfg())
    assert [i.symbol for i in out.intents] == ["B/USDT"]
    assert rules_of(out) == [("A/USDT", "protection:cooldown")]
    halt = Lock("max_drawdown", ANY, ANY, "equity drawdown 12%", NOW - 1, NOW + 60_000)
    out = plan([decision("A/USDT"), decision("B/USDT")], state(locks=(halt,)), cfg())
    assert out.intents == () and {r for _, r in rules_of(out)} == {"protection:max_drawdown"}
    expired = dataclasses.replace(halt, until_ms=NOW)
    assert len(plan([decision("A/USDT")], state(locks=(expired,)), cfg()).intents) == 1


@pytest.mark.parametrize(("allow", "approved"), [(False, 0), (True, 1)])
def test_position_guard_and_scaling_in(allow: bool, approved: int) -> None:
    held = state(open_positions=frozenset({("v", "ABC/USDT")}), exposures={("v", "ABC/USDT"): D("100")})
    out = plan([decision()], held, cfg(allow_scale_in=allow, correlation_deny_above=1.0))
    assert len(out.intents) == approved


def test_duplicate_candidates_get_one_position() -> None:
    out = plan([decision(), decision()], state(), cfg(allow_scale_in=False))
    assert len(out.intents) == 1
    assert rules_of(out) == [("ABC/USDT", "position_open")]


def test_correlated_candidate_is_scaled_then_denied() -> None:
    rng = np.random.default_rng(3)
    base = rng.normal(0, 0.01, 200)
    noise = rng.normal(0, 0.01, 200)
    keys = [("w", "HELD/USDT"), ("v", "TWIN/USDT"), ("v", "HALF/USDT"), ("v", "FREE/USDT")]
    returns = np.vstack([base, base + 1e-4 * noise, base + 0.6 * noise, rng.normal(0, 0.01, 200)])
    panel = ReturnPanel(tuple(keys), returns)
    held = state(open_positions=frozenset({keys[0]}), exposures={keys[0]: D("1000")})
    risk = cfg(correlation_scale_above=0.7, correlation_deny_above=0.95, max_cluster_exposure_pct=1.0)
    candidates = [decision("TWIN/USDT", score=0.9), decision("HALF/USDT", score=0.8), decision("FREE/USDT", score=0.8)]
    out = plan(candidates, held, risk, returns=panel)
    assert rules_of(out) == [("TWIN/USDT", "correlation")]
    assert "with HELD/USDT on w" in out.denials[0][1].detail
    sizes = {i.symbol: i.amount for i in out.intents}
    assert set(sizes) == {"HALF/USDT", "FREE/USDT"}
    assert sizes["HALF/USDT"] < sizes["FREE/USDT"]  # same score and vol, but correlated: scaled down
    half = next(i for i in out.intents if i.symbol == "HALF/USDT")
    assert "with HELD/USDT on w: ×0." in half.reason


def test_cluster_exposure_cap() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(0, 0.01, 200)
    keys = [("w", "A/USDT"), ("w", "B/USDT"), ("v", "C/USDT")]
    panel = ReturnPanel(tuple(keys), np.vstack([base + rng.normal(0, 0.004, 200) for _ in keys]))
    held = state(
        open_positions=frozenset(keys[:2]), exposures={keys[0]: D("3000"), keys[1]: D("3000")}
    )  # 6 000 in the cluster; cap 30 % of 20 000 = 6 000
    out = plan([decision("C/USDT")], held, cfg(max_cluster_exposure_pct=0.3), returns=panel)
    assert rules_of(out) == [("C/USDT", "max_cluster_exposure")]
    out = plan([decision("C/USDT")], held, cfg(max_cluster_exposure_pct=0.35), returns=panel)
    (intent,) = out.intents
    assert intent.amount * intent.reference_price <= D("1000")
