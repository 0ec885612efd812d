"""Stage 5: the seed sizing formula, every denial rule with its reason, and cash/lot-size invariants."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tradepipe.adapters.venues.sim_exchange import SimExchange
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.config import Settings
from tradepipe.config.sections import RiskSection
from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.risk import PortfolioState, plan_entries, volatility_factor
from tradepipe.core.venue_mapping import market_rules
from tradepipe.domain.market import MarketRules
from tradepipe.domain.orders import IntentPurpose, OrderType, Side
from tradepipe.domain.strategy import Decision, Denial, Direction, Signal

D = Decimal
RUN = "run-1"
RULES = MarketRules(
    amount_quantum=D("0.001"), price_quantum=D("0.01"), min_amount=D("0.001"), min_cost=D("5"), taker_fee=D("0.001")
)


def decision(
    symbol: str = "ABC/USDT",
    *,
    venue: str = "v",
    score: float = 0.8,
    last: float = 37.0,
    atr: float = 1.5,
    volatility: float = 0.02,
    direction: Direction = Direction.LONG,
) -> Decision:
    signal = Signal("ema_cross", direction, score, "test")
    return Decision(venue, symbol, "trend_up", (signal,), score, last, atr, volatility)


def state(
    cash: dict[str, Decimal] | None = None,
    *,
    equity: str = "10000",
    peak: str = "10000",
    open_positions: frozenset[tuple[str, str]] = frozenset(),
    halted: str | None = None,
) -> PortfolioState:
    return PortfolioState(
        cash={"v": D("10000")} if cash is None else cash,
        open_positions=open_positions,
        equity=D(equity),
        peak_equity=D(peak),
        halted=halted,
    )


def cfg(**overrides: float) -> RiskSection:
    return Settings().risk.model_copy(update=overrides)


# --- volatility factor ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("realised", "expected"),
    [(0.01, 1.0), (0.02, 0.5), (0.04, 0.25), (0.005, 2.0), (0.001, 2.0), (0.0, 2.0), (-0.3, 2.0), (float("nan"), 2.0)],
)
def test_volatility_factor(realised: float, expected: float) -> None:
    assert volatility_factor(realised, RiskSection()) == pytest.approx(expected, rel=1e-12)


def test_volatility_factor_cap_follows_config() -> None:
    assert volatility_factor(0.0001, RiskSection(max_volatility_factor=3.0)) == 3.0


# --- the seed formula ------------------------------------------------------------------------------------


def test_seed_formula_by_hand() -> None:
    # balance 10 000, trade_size_pct 0.05, confidence 0.8, vol factor 0.01/0.02 = 0.5, drawdown 10% of max 20%:
    # fraction = 0.05 × 0.8 × 0.5 × (1 − 0.1/0.2) = 0.01 → notional 100 USDT → 100 / 37 = 2.7027… → 2.702 (lot 0.001)
    outcome = plan_entries(
        [decision()], state(equity="9000", peak="10000"), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN
    )
    assert outcome.denials == ()
    (intent,) = outcome.intents
    assert intent.amount == D("2.702")
    assert intent.reference_price == D("37.0")
    assert intent.stop_loss == D("34.00")  # 37 − 2 × 1.5
    assert intent.take_profit == D("41.50")  # 37 + 3 × 1.5
    assert (intent.side, intent.order_type, intent.purpose) == (Side.BUY, OrderType.MARKET, IntentPurpose.ENTRY)
    assert (intent.venue, intent.symbol, intent.run_id) == ("v", "ABC/USDT", RUN)
    assert intent.client_order_id == client_order_id(RUN, "v", "ABC/USDT", "buy", 0)
    assert outcome.approved == (decision(),)


def test_quality_factor_scales_the_size() -> None:
    rules = {("v", "ABC/USDT"): RULES}
    full = plan_entries([decision()], state(), rules, cfg(), run_id=RUN).intents[0]
    half = plan_entries([decision()], state(), rules, cfg(), run_id=RUN, quality_factor={("v", "ABC/USDT"): 0.5})
    # fraction 0.05 × 0.8 × 0.5 = 0.02 → 200 / 37 = 5.405; halved: 100 / 37 = 2.702
    assert full.amount == D("5.405")
    assert half.intents[0].amount == D("2.702")


def test_stop_loss_is_dropped_when_it_would_be_non_positive() -> None:
    out = plan_entries([decision(atr=20.0)], state(), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN)
    assert out.intents[0].stop_loss is None
    assert out.intents[0].take_profit == D("97.00")


# --- denials ---------------------------------------------------------------------------------------------


def only_denial(outcome_denials: tuple[tuple[Decision, Denial], ...]) -> tuple[str, str]:
    assert len(outcome_denials) == 1
    return outcome_denials[0][1].rule, outcome_denials[0][1].detail


@pytest.mark.parametrize(
    ("portfolio", "risk", "rule", "detail"),
    [
        (state(halted="1 unresolved reconciliation mismatch(es)"), {}, "halted", "1 unresolved reconciliation"),
        (state(equity="8000", peak="10000"), {}, "max_drawdown", "drawdown 20.0% ≥ 20.0%"),
        (state(equity="5000", peak="10000"), {}, "max_drawdown", "drawdown 50.0% ≥ 20.0%"),
        (state(open_positions=frozenset({("v", "ABC/USDT")})), {}, "position_open", "already open"),
        (
            state(open_positions=frozenset({("v", "X/USDT"), ("w", "ABC/USDT")})),
            {"max_open_positions": 2},
            "max_open_positions",
            "2 open ≥ 2",
        ),
        (state(), {"max_open_positions": 0}, "max_open_positions", "0 open ≥ 0"),
        (state(), {"min_confidence": 0.9}, "min_confidence", "score 0.800 < 0.9"),
    ],
    ids=["halted", "drawdown-at-limit", "drawdown-beyond", "position-open", "max-open", "max-open-zero", "confidence"],
)
def test_portfolio_denials(portfolio: PortfolioState, risk: dict[str, float], rule: str, detail: str) -> None:
    outcome = plan_entries([decision()], portfolio, {("v", "ABC/USDT"): RULES}, cfg(**risk), run_id=RUN)
    assert outcome.intents == ()
    assert outcome.approved == ()
    got_rule, got_detail = only_denial(outcome.denials)
    assert got_rule == rule
    assert detail in got_detail
    assert outcome.denials[0][0] == decision()


def test_no_market_rules_is_denied() -> None:
    outcome = plan_entries([decision()], state(), {}, cfg(), run_id=RUN)
    assert only_denial(outcome.denials) == ("market_rules", "venue publishes no market rules for this symbol")


def test_amount_below_venue_minimum_is_denied() -> None:
    rules = {("v", "BTC/USDT"): MarketRules(D("0.001"), D("0.1"), D("0.01"), D("5"), D("0.001"))}
    # 10 000 × 0.05 × 0.8 × 0.5 = 200 USDT of a 60 000 coin = 0.00333 → 0.003 < 0.01
    outcome = plan_entries([decision("BTC/USDT", last=60_000.0, atr=900.0)], state(), rules, cfg(), run_id=RUN)
    assert only_denial(outcome.denials) == ("venue_minimum", "amount 0.003 below the venue minimum 0.01")


def test_notional_below_min_cost_is_denied() -> None:
    rules = {("v", "ABC/USDT"): MarketRules(D("0.001"), D("0.01"), D("0.001"), D("500"), D("0.001"))}
    outcome = plan_entries([decision()], state(), rules, cfg(), run_id=RUN)
    rule, detail = only_denial(outcome.denials)
    assert rule == "venue_minimum"
    assert detail == "notional 199.98 below the minimum 500"  # 5.405 × 37


def test_rounding_to_zero_is_denied_not_approved() -> None:
    # 100 × 0.02 = 2 USDT → 0.054 coins: a size, but under the 5 USDT minimum
    outcome = plan_entries([decision()], state({"v": D("100")}), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN)
    assert outcome.intents == ()
    assert only_denial(outcome.denials)[0] == "venue_minimum"
    poor = plan_entries([decision()], state({"v": D("1")}), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN)
    assert only_denial(poor.denials) == ("insufficient_cash", "0.95 available < the venue minimum 5")  # 5 % kept back


def test_flat_decisions_are_neither_approved_nor_denied() -> None:
    outcome = plan_entries([decision(direction=Direction.FLAT)], state(), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN)
    assert (outcome.intents, outcome.denials, outcome.approved) == ((), (), ())


def test_open_count_includes_entries_approved_in_the_same_call() -> None:
    decisions = [decision("AAA/USDT", score=0.9), decision("BBB/USDT", score=0.8)]
    rules = {("v", d.symbol): RULES for d in decisions}
    outcome = plan_entries(decisions, state(), rules, cfg(max_open_positions=1), run_id=RUN)
    assert [i.symbol for i in outcome.intents] == ["AAA/USDT"]
    assert [(d.symbol, n.rule, n.detail) for d, n in outcome.denials] == [
        ("BBB/USDT", "max_open_positions", "1 open ≥ 1")
    ]


# --- cash ------------------------------------------------------------------------------------------------


def spent(intent_amount: Decimal, price: Decimal, fee: Decimal) -> Decimal:
    return intent_amount * price * (1 + fee)


def test_cash_is_not_spent_twice_and_the_best_score_goes_first() -> None:
    greedy = cfg(trade_size_pct=1.0, reserve_cash_pct=0.0)  # fraction 1 × score × 2 (low vol) > 1: all the cash
    decisions = [decision("LOW/USDT", score=0.7, volatility=0.001), decision("TOP/USDT", score=0.95, volatility=0.001)]
    rules = {("v", d.symbol): RULES for d in decisions}
    outcome = plan_entries(decisions, state({"v": D("1000")}), rules, greedy, run_id=RUN)
    assert [i.symbol for i in outcome.intents] == ["TOP/USDT"]
    (top,) = outcome.intents
    assert top.amount == D("27.000")  # 1000 / 1.001 / 37 = 27.00002… (lot 0.001)
    assert spent(top.amount, top.reference_price, RULES.taker_fee) <= D("1000")
    assert [(d.symbol, n.rule) for d, n in outcome.denials] == [("LOW/USDT", "insufficient_cash")]


def test_reserve_cash_is_kept_back() -> None:
    greedy = cfg(trade_size_pct=1.0, reserve_cash_pct=0.1)
    rules = {("v", "TOP/USDT"): RULES}
    (top,) = plan_entries(
        [decision("TOP/USDT", volatility=0.001)], state({"v": D("1000")}), rules, greedy, run_id=RUN
    ).intents
    assert top.amount == D("24.300")  # (1000 − 10% kept) / 1.001 / 37 = 24.30002… (lot 0.001)
    assert top.reason.endswith("; cut to the available cash")


def test_each_venue_spends_its_own_cash() -> None:
    decisions = [decision("A/USDT", venue="v1"), decision("A/USDT", venue="v2")]
    rules = {(d.venue, d.symbol): RULES for d in decisions}
    outcome = plan_entries(decisions, state({"v1": D("10000"), "v2": D("0")}), rules, cfg(), run_id=RUN)
    assert [(i.venue, i.amount) for i in outcome.intents] == [("v1", D("5.405"))]
    assert [(d.venue, n.rule) for d, n in outcome.denials] == [("v2", "insufficient_cash")]


# --- properties ------------------------------------------------------------------------------------------

SizingCase = tuple[list[Decision], PortfolioState, dict[tuple[str, str], MarketRules], RiskSection]
QUANTA = [D("1e-8"), D("0.001"), D("0.1"), D("0.5"), D("1"), D("10")]


@st.composite
def sizing_case(draw: st.DrawFn) -> SizingCase:
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(["v1", "v2"]), st.sampled_from(["A/USDT", "B/USDT", "C/USDT", "D/USDT"])),
            min_size=1,
            max_size=6,
            unique=True,
        )
    )
    decisions = [
        decision(
            symbol,
            venue=venue,
            score=draw(st.floats(0.0, 1.0)),
            last=draw(st.floats(1e-4, 1e5)),
            atr=draw(st.floats(0.0, 1e3)),
            volatility=draw(st.floats(0.0, 0.2)),
            direction=draw(st.sampled_from([Direction.LONG, Direction.LONG, Direction.FLAT])),
        )
        for venue, symbol in keys
    ]
    rules = {}
    for key in keys:
        if draw(st.integers(0, 9)) == 0:
            continue  # now and then a symbol without rules
        quantum = draw(st.sampled_from(QUANTA))
        rules[key] = MarketRules(
            amount_quantum=quantum,
            price_quantum=draw(st.sampled_from([D("1e-6"), D("0.01"), D("0.5")])),
            min_amount=quantum * draw(st.integers(1, 50)),
            min_cost=D(draw(st.sampled_from(["0", "1", "5", "10"]))),
            taker_fee=D(draw(st.sampled_from(["0", "0.00075", "0.001", "0.0025"]))),
        )
    cash = {v: D(draw(st.integers(0, 2_000_000))) / 100 for v in ("v1", "v2")}
    peak = D(draw(st.integers(1, 1_000_000)))
    equity = peak * D(draw(st.integers(0, 100))) / 100
    portfolio = PortfolioState(cash=cash, open_positions=frozenset(), equity=equity, peak_equity=peak)
    risk = cfg(
        trade_size_pct=draw(st.floats(0.01, 1.0)),
        max_open_positions=draw(st.integers(0, 6)),
        min_confidence=draw(st.floats(0.0, 0.5)),
    )
    return decisions, portfolio, rules, risk


@settings(max_examples=120, deadline=None)
@given(case=sizing_case())
def test_sizing_invariants(case: SizingCase) -> None:
    decisions, portfolio, rules, risk = case
    outcome = plan_entries(decisions, portfolio, rules, risk, run_id=RUN)
    longs = [d for d in decisions if d.direction is Direction.LONG]
    # every LONG candidate is approved or denied, exactly once; FLAT ones neither
    assert sorted((d.venue, d.symbol) for d in [*outcome.approved, *(d for d, _ in outcome.denials)]) == sorted(
        (d.venue, d.symbol) for d in longs
    )
    assert len(outcome.intents) == len(outcome.approved) <= risk.max_open_positions
    spend: dict[str, Decimal] = {}
    for intent in outcome.intents:
        r = rules[(intent.venue, intent.symbol)]
        assert intent.amount > 0
        assert intent.amount % r.amount_quantum == 0
        assert intent.amount >= r.min_amount
        assert intent.amount * intent.reference_price >= r.min_cost
        for protective in (intent.stop_loss, intent.take_profit):
            assert protective is None or protective % r.price_quantum == 0
        spend[intent.venue] = spend.get(intent.venue, D(0)) + spent(intent.amount, intent.reference_price, r.taker_fee)
    for venue, total in spend.items():
        assert total <= portfolio.cash[venue]
    if portfolio.drawdown >= risk.max_drawdown:
        assert outcome.intents == ()
        assert {n.rule for _, n in outcome.denials} <= {"max_drawdown"}


@settings(max_examples=100, deadline=None)
@given(
    equity_pct=st.integers(0, 80),
    score=st.floats(0.0, 1.0),
    volatility=st.floats(0.0, 0.1),
)
def test_nothing_is_approved_at_or_beyond_max_drawdown(equity_pct: int, score: float, volatility: float) -> None:
    portfolio = state(equity=str(100 * equity_pct), peak="10000")  # drawdown 20%..100%
    assert portfolio.drawdown >= RiskSection().max_drawdown
    outcome = plan_entries(
        [decision(score=score, volatility=volatility)], portfolio, {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN
    )
    assert outcome.intents == ()
    assert [n.rule for _, n in outcome.denials] == ["max_drawdown"]


# --- with the venue's own market rules -------------------------------------------------------------------


def test_sizing_with_the_sims_whole_unit_lot_gives_whole_units() -> None:
    market = SimMarket(7, history_bars=200, future_bars=0)
    venue = SimExchange(
        "sim-lot",
        market,
        SimClock(market.history_end_ms),
        symbols=["ADA/USDT"],
        taker_fee=0.001,
        maker_fee=0.001,
        depth_usd=100_000.0,
        spread_bps=2.0,
    )
    ada = venue.load_markets()["ADA/USDT"]
    assert ada["precision"]["amount"] == 1.0  # the sim's lot size for a sub-dollar coin
    last = venue.fetch_tickers(["ADA/USDT"])["ADA/USDT"]["last"]
    d = decision("ADA/USDT", venue="sim-lot", last=last, atr=last * 0.01)
    rules = {("sim-lot", "ADA/USDT"): market_rules(ada)}
    (intent,) = plan_entries([d], state({"sim-lot": D("10000")}), rules, cfg(), run_id=RUN).intents
    assert intent.amount % 1 == 0, intent.amount
    # 10 000 × 0.05 × 0.8 × 0.5 = 200 USDT → floor(200 / last) whole coins
    assert intent.amount == (D(200) / D(repr(last))).to_integral_value(rounding="ROUND_FLOOR")


@pytest.mark.parametrize(
    ("amount_precision", "price_precision", "step", "tick"),
    [
        (0.001, 0.01, "0.001", "0.01"),
        (0.5, 0.05, "0.5", "0.05"),
        (1.0, 0.5, "1", "0.5"),
        (10.0, 1.0, "10", "1"),
        (0, 2, "1", "0.01"),
    ],
    ids=["tick-0.001", "tick-0.5", "tick-1", "tick-10", "decimal-places-0"],
)
def test_amount_and_protection_prices_are_multiples_of_the_venues_steps(
    amount_precision: float | int, price_precision: float | int, step: str, tick: str
) -> None:
    ccxt_market = {
        "precision": {"amount": amount_precision, "price": price_precision},
        "limits": {"amount": {"min": None}, "cost": {"min": 1.0}},
        "taker": 0.001,
    }
    rules = {("v", "ABC/USDT"): market_rules(ccxt_market)}
    d = decision(last=3.7, atr=0.123)
    (intent,) = plan_entries([d], state({"v": D("100000")}), rules, cfg(), run_id=RUN).intents
    # 100 000 × 0.05 × 0.8 × 0.5 = 2000 USDT / 3.7 = 540.54… coins, rounded down to the step
    assert intent.amount % D(step) == 0
    assert D("540.5405") - D(step) < intent.amount <= D("540.5405")
    assert intent.stop_loss is not None and intent.take_profit is not None
    assert intent.stop_loss % D(tick) == 0 and intent.take_profit % D(tick) == 0
    assert D("3.454") - D(tick) < intent.stop_loss <= D("3.454")  # 3.7 − 2 × 0.123
    assert D("4.069") - D(tick) < intent.take_profit <= D("4.069")  # 3.7 + 3 × 0.123


def test_data_quality_is_applied_once_not_squared() -> None:
    """The engine folds the gate's score into the ranking score; sizing uses the confidence before it, × quality."""
    from dataclasses import replace

    clean = decision("ABC/USDT", score=0.8)
    warned = replace(decision("XYZ/USDT", score=0.8 * 0.5), confidence=0.8)
    full = plan_entries([clean], state(), {("v", "ABC/USDT"): RULES}, cfg(), run_id=RUN)
    half = plan_entries(
        [warned], state(), {("v", "XYZ/USDT"): RULES}, cfg(), run_id=RUN, quality_factor={("v", "XYZ/USDT"): 0.5}
    )
    (big,), (small,) = full.intents, half.intents
    assert warned.sizing_confidence == 0.8 and clean.sizing_confidence == 0.8
    assert small.amount * 2 == pytest.approx(big.amount, abs=RULES.amount_quantum * 2)
