"""Properties of the whole plan (hypothesis): sizes are never negative, never above the cash available or any
limit, always meet the venue's minimums (or the candidate is denied), and nothing passes a breached drawdown."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tradepipe.config import Settings
from tradepipe.config.sections import RiskSection
from tradepipe.core.risk import PortfolioState, ReturnPanel, plan_entries
from tradepipe.domain.market import MarketRules
from tradepipe.domain.strategy import Decision, Direction, Signal

D = Decimal
VENUES = ("v1", "v2")
SYMBOLS = ("A/USDT", "B/USDT", "C/USDT", "D/BTC", "E/USDT", "F/USDT")
BARS = 60


@dataclasses.dataclass(frozen=True)
class Case:
    decisions: list[Decision]
    state: PortfolioState
    rules: dict[tuple[str, str], MarketRules]
    cfg: RiskSection
    panel: ReturnPanel


@st.composite
def cases(draw: st.DrawFn) -> Case:
    keys = [(v, s) for v in VENUES for s in SYMBOLS]
    held = draw(st.lists(st.sampled_from(keys), max_size=4, unique=True))
    exposures = {k: D(draw(st.integers(1, 400_000))) / 100 for k in held}
    candidates = draw(st.lists(st.sampled_from(keys), min_size=1, max_size=8))  # duplicates allowed
    decisions = [
        Decision(
            v,
            s,
            "trend_up",
            (Signal("s", Direction.LONG, 1.0, "t"),),
            draw(st.floats(0.0, 1.0)),
            draw(st.floats(1e-3, 1e5)),
            draw(st.floats(0.0, 100.0)),
            draw(st.floats(0.0, 0.1)),
        )
        for v, s in candidates
    ]
    rules = {}
    for key in set(candidates):
        if draw(st.integers(0, 9)):
            quantum = draw(st.sampled_from([D("1e-8"), D("0.001"), D("0.1"), D("1"), D("10")]))
            rules[key] = MarketRules(
                quantum,
                D("0.01"),
                quantum * draw(st.integers(1, 20)),
                D(draw(st.sampled_from(["0", "1", "5", "10"]))),
                D(draw(st.sampled_from(["0", "0.001", "0.0025"]))),
            )
    cash = {v: D(draw(st.integers(1, 3_000_000))) / 100 for v in VENUES}
    equity = sum(cash.values(), D(0)) + sum(exposures.values(), D(0))
    peak = equity * D(draw(st.integers(100, 160))) / 100
    state = PortfolioState(
        cash=cash,
        open_positions=frozenset(held),
        equity=equity,
        peak_equity=peak,
        exposures=exposures,
        reserved={v: D(draw(st.integers(0, 500_000))) / 100 for v in VENUES},
        day_start_equity=equity * D(draw(st.integers(90, 110))) / 100,
    )
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    factor = rng.normal(0, 0.01, BARS)
    returns = np.vstack([factor * rng.uniform(0, 2) + rng.normal(0, rng.uniform(0.001, 0.02), BARS) for _ in keys])
    panel = ReturnPanel(tuple(keys), returns) if draw(st.booleans()) else ReturnPanel.empty()
    cfg = Settings().risk.model_copy(
        update={
            "trade_size_pct": draw(st.floats(0.01, 1.0)),
            "max_open_positions": draw(st.integers(0, 10)),
            "min_confidence": draw(st.floats(0.0, 0.3)),
            "reserve_cash_pct": draw(st.floats(0.0, 0.5)),
            "max_symbol_exposure_pct": draw(st.floats(0.05, 1.0)),
            "max_venue_exposure_pct": draw(st.floats(0.05, 1.0)),
            "max_quote_exposure_pct": draw(st.floats(0.05, 1.0)),
            "max_cluster_exposure_pct": draw(st.floats(0.05, 1.0)),
            "max_portfolio_volatility": draw(st.floats(0.001, 0.05)),
            "allow_scale_in": draw(st.booleans()),
        }
    )
    return Case(decisions, state, rules, cfg, panel)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_sizes_respect_cash_limits_and_minimums(case: Case) -> None:
    check_sizes(case)


@pytest.mark.slow
@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_sizes_respect_cash_limits_and_minimums_long_run(case: Case) -> None:
    check_sizes(case)


def check_sizes(case: Case) -> None:
    st_, cfg = case.state, case.cfg
    out = plan_entries(case.decisions, st_, case.rules, cfg, run_id="r", returns=case.panel)
    assert len(out.intents) + len(out.denials) == len(case.decisions)  # each candidate judged exactly once
    assert len(out.intents) + len(st_.open_positions) <= max(cfg.max_open_positions, len(st_.open_positions))
    spend: dict[str, Decimal] = defaultdict(Decimal)
    by_symbol: dict[str, Decimal] = defaultdict(Decimal)
    by_venue: dict[str, Decimal] = defaultdict(Decimal)
    by_quote: dict[str, Decimal] = defaultdict(Decimal)
    for (venue, symbol), value in st_.exposures.items():
        by_symbol[symbol] += value
        by_venue[venue] += value
        by_quote[symbol.split("/")[1]] += value
    before = (dict(by_symbol), dict(by_venue), dict(by_quote))
    for intent in out.intents:
        rules = case.rules[(intent.venue, intent.symbol)]
        notional = intent.amount * intent.reference_price
        assert intent.amount > 0 and intent.amount % rules.amount_quantum == 0
        assert intent.amount >= rules.min_amount and notional >= rules.min_cost
        spend[intent.venue] += notional * (1 + rules.taker_fee)
        by_symbol[intent.symbol] += notional
        by_venue[intent.venue] += notional
        by_quote[intent.symbol.split("/")[1]] += notional
    for venue, spent in spend.items():
        cash = st_.cash[venue]
        kept = (cash + sum((v for (w, _), v in st_.exposures.items() if w == venue), D(0))) * D(
            repr(cfg.reserve_cash_pct)
        )
        assert spent <= max(D(0), cash - st_.reserved.get(venue, D(0)) - kept)
    slack = D("1e-6")
    for book, old, pct in zip(
        (by_symbol, by_venue, by_quote),
        before,
        (cfg.max_symbol_exposure_pct, cfg.max_venue_exposure_pct, cfg.max_quote_exposure_pct),
        strict=True,
    ):
        cap = st_.equity * D(repr(pct))
        for name, value in book.items():
            if value != old.get(name, D(0)):  # grown by this plan: must be within the cap
                assert value <= cap + slack, (name, value, cap)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases(), over=st.floats(0.0, 0.5))
def test_no_entry_at_or_beyond_max_drawdown_or_daily_loss(case: Case, over: float) -> None:
    cfg = case.cfg
    peak = case.state.equity / D(repr(1 - min(0.99, cfg.max_drawdown + over)))
    breached = dataclasses.replace(case.state, peak_equity=peak * D("1.0000001"))
    assert breached.drawdown >= cfg.max_drawdown
    out = plan_entries(case.decisions, breached, case.rules, cfg, run_id="r", returns=case.panel)
    assert out.intents == () and {n.rule for _, n in out.denials} == {"max_drawdown"}
    day = case.state.equity / D(repr(1 - min(0.99, cfg.max_daily_loss + over))) * D("1.0000001")
    losing = dataclasses.replace(case.state, peak_equity=case.state.equity, day_start_equity=day)
    out = plan_entries(case.decisions, losing, case.rules, cfg, run_id="r", returns=case.panel)
    assert out.intents == () and {n.rule for _, n in out.denials} == {"max_daily_loss"}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=cases())
def test_portfolio_volatility_and_correlation_limits_hold_after_the_plan(case: Case) -> None:
    if not case.panel.keys:
        return
    cfg = case.cfg
    out = plan_entries(case.decisions, case.state, case.rules, cfg, run_id="r", returns=case.panel)
    index = {k: i for i, k in enumerate(case.panel.keys)}
    cov = np.cov(case.panel.returns[:, -cfg.correlation_window :])
    corr = np.corrcoef(case.panel.returns[:, -cfg.correlation_window :])
    equity = float(case.state.equity)
    w = np.zeros(len(index))
    for key, value in case.state.exposures.items():
        w[index[key]] += float(value) / equity
    vol_before = float(np.sqrt(w @ cov @ w))
    held = {index[k] for k in case.state.exposures}
    for intent in out.intents:
        i = index[(intent.venue, intent.symbol)]
        others = held - {i}
        assert all(corr[i, j] < cfg.correlation_deny_above + 1e-9 for j in others)
        held.add(i)
        w[i] += float(intent.amount * intent.reference_price) / equity
    if out.intents and vol_before <= cfg.max_portfolio_volatility:
        assert float(np.sqrt(w @ cov @ w)) <= cfg.max_portfolio_volatility * (1 + 1e-6)
