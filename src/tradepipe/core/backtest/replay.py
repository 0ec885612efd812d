"""Replay history bar by bar through the live cycle's strategy engine, risk planner and exit rules.

At the close of bar t the replay sees only candles up to t (the last ``window`` of them, as a cycle sees its
``history_bars``): the exit rules run on the open positions at the close (``plan_exits``), the engine evaluates
every symbol (``evaluate_symbols``) and the risk planner sizes the LONG decisions (``plan_entries``). Every order
fills at the open of bar t+1 with the taker fee of the symbol's ``MarketRules``, booked by ``apply_fill``.
What is not replayed: protections' locks, the correlation panel (sizing falls back to each decision's own
volatility), the data-quality gate and book depth/slippage.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from tradepipe.config.sections import ExitsSection, RiskSection
from tradepipe.core.backtest.result import BacktestResult, OrderRecord, Trade, max_drawdown, sharpe_per_bar, win_rate
from tradepipe.core.positions.accounting import CostMethod, apply_fill, base_and_quote
from tradepipe.core.positions.exits import plan_exits
from tradepipe.core.positions.rules import build_rules
from tradepipe.core.risk import plan_entries
from tradepipe.core.strategy.engine import EngineSpec, SymbolCandles, evaluate_symbols
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import ZERO, round_down_to_step, to_decimal, to_float
from tradepipe.domain.orders import Fill, OrderIntent, Side
from tradepipe.domain.portfolio import Position
from tradepipe.domain.risk import PortfolioState
from tradepipe.errors import ConfigurationError, DataQualityError

DAY_MS = 86_400_000
Key = tuple[str, str]


@dataclass(frozen=True, slots=True)
class BacktestConfig:
    spec: EngineSpec = field(default_factory=EngineSpec)
    risk: RiskSection = field(default_factory=RiskSection)
    exits: ExitsSection = field(default_factory=ExitsSection)
    starting_cash: Decimal = Decimal(10_000)  # per venue, in the quote currency
    window: int = 300  # candles the engine sees at each bar (the cycle's marketdata.history_bars)
    bar_ms: int = 3_600_000
    cost_method: CostMethod = "average"

    def __post_init__(self) -> None:
        if self.window < self.spec.min_bars:
            raise ConfigurationError(f"backtest window: {self.window} bars < the engine's {self.spec.min_bars}")
        if self.starting_cash <= 0:
            raise ConfigurationError("backtest starting_cash must be > 0")


class _Book:
    """Cash per venue, open positions, the open round trips and what has been closed."""

    def __init__(self, venues: Sequence[str], cash: Decimal, method: CostMethod) -> None:
        self.cash = {v: cash for v in venues}
        self.positions: dict[Key, Position] = {}
        self.opened: dict[Key, tuple[int, Decimal, Decimal]] = {}  # first fill ms, first price, amount bought
        self.trades: list[Trade] = []
        self.fees = ZERO
        self.method = method
        self.fills = 0

    def fill(self, intent: OrderIntent, price: Decimal, rules: MarketRules, ts_ms: int) -> None:
        key = (intent.venue, intent.symbol)
        held = self.positions.get(key)
        amount = intent.amount if intent.side is Side.BUY else min(intent.amount, held.amount if held else ZERO)
        if intent.side is Side.BUY and amount * price * (1 + rules.taker_fee) > self.cash[intent.venue]:
            amount = round_down_to_step(self.cash[intent.venue] / (price * (1 + rules.taker_fee)), rules.amount_quantum)
            if amount < rules.min_amount or amount * price < rules.min_cost:
                return  # the open gapped up past the cash: the order lapses
        if amount <= 0:
            return
        fee = amount * price * rules.taker_fee
        self.fills += 1
        fill = Fill(intent.venue, f"bt-{self.fills}", f"bt-{self.fills}", intent.client_order_id, intent.symbol,
                    intent.side, amount, price, fee, base_and_quote(intent.symbol)[1], ts_ms)  # fmt: skip
        position, cash = apply_fill(
            held, fill, stop_loss=intent.stop_loss, take_profit=intent.take_profit, method=self.method
        )
        self.cash[intent.venue] += cash
        self.fees += fee
        if intent.side is Side.BUY:
            first = self.opened.get(key, (ts_ms, price, ZERO))
            self.opened[key] = (first[0], first[1], first[2] + amount)
        if position.is_open:
            self.positions[key] = position
            return
        self.positions.pop(key, None)
        opened_ms, entry, bought = self.opened.pop(key)
        pnl = position.realized_pnl - position.fees
        self.trades.append(Trade(intent.venue, intent.symbol, opened_ms, ts_ms, entry, price, bought, pnl,
                                 position.fees, f"{intent.purpose.value}: {intent.reason}"))  # fmt: skip

    def value(self, marks: Mapping[Key, Decimal]) -> Decimal:
        return sum((p.amount * marks[k] for k, p in self.positions.items()), ZERO)


def _aligned(series: Sequence[SymbolCandles]) -> np.ndarray:
    if not series:
        raise ConfigurationError("backtest: no symbols to replay")
    ts = series[0].timestamp
    for item in series[1:]:
        if item.timestamp.shape != ts.shape or not np.array_equal(item.timestamp, ts):
            raise DataQualityError(f"backtest: {item.venue}:{item.symbol} is not on the same bars as the first symbol")
    return ts


def run_backtest(
    series: Sequence[SymbolCandles], rules: Mapping[Key, MarketRules], config: BacktestConfig
) -> BacktestResult:
    """Replay ``series`` (aligned bars, oldest first) and return the equity curve, trades and statistics."""
    ts = _aligned(series)
    missing = [f"{s.venue}:{s.symbol}" for s in series if (s.venue, s.symbol) not in rules]
    if missing:
        raise ConfigurationError(f"backtest: no market rules for {missing}")
    exit_rules = build_rules(config.exits)
    book = _Book(sorted({s.venue for s in series}), config.starting_cash, config.cost_method)
    pending: list[OrderIntent] = []
    orders: list[OrderRecord] = []
    equity: list[float] = []
    exposure: list[float] = []
    stamps: list[int] = []
    peak = day_start = config.starting_cash * len(book.cash)
    day = -1
    for t in range(config.spec.min_bars - 1, ts.size):
        for intent in sorted(pending, key=lambda i: i.side is Side.BUY):  # sells free the cash first
            price = float(_column(series, intent, "open")[t])
            if math.isfinite(price) and price > 0:
                book.fill(intent, to_decimal(price), rules[(intent.venue, intent.symbol)], int(ts[t]))
        pending = []
        close_ms = int(ts[t]) + config.bar_ms
        marks = {(s.venue, s.symbol): to_decimal(float(s.columns["close"][t])) for s in series}
        held = book.value(marks)
        total = sum(book.cash.values(), ZERO) + held
        stamps.append(close_ms)
        equity.append(to_float(total))
        exposure.append(to_float(held / total) if total > 0 else 0.0)
        if t == ts.size - 1:
            break  # an order now would have no next bar to fill on
        peak = max(peak, total)
        if close_ms // DAY_MS != day:
            day, day_start = close_ms // DAY_MS, total
        run_id = f"bt-{t}"
        exits = plan_exits(list(book.positions.values()), marks, run_id=run_id, now_ms=close_ms, rules=exit_rules,
                           market_rules=rules)  # fmt: skip
        for moved in exits.moved:  # trailing stops and ladder progress carry to the next bar, as the ledger keeps them
            book.positions[moved.key] = replace(
                book.positions[moved.key], stop_loss=moved.stop_loss, high_water_mark=moved.high_water_mark,
                exits_taken=moved.exits_taken,
            )  # fmt: skip
        lo = t + 1 - config.window if t + 1 > config.window else 0
        window = [SymbolCandles(s.venue, s.symbol, {k: v[lo : t + 1] for k, v in s.columns.items()},
                                s.timestamp[lo : t + 1]) for s in series]  # fmt: skip
        decisions = evaluate_symbols(window, config.spec)
        state = PortfolioState(
            cash=dict(book.cash), open_positions=frozenset(book.positions), equity=total, peak_equity=peak,
            exposures={k: p.amount * marks[k] for k, p in book.positions.items()}, day_start_equity=day_start,
            as_of_ms=close_ms,
        )  # fmt: skip
        entries = plan_entries(decisions, state, rules, config.risk, run_id=run_id).intents
        pending = [*exits.intents, *entries]
        orders += [OrderRecord(close_ms, i.venue, i.symbol, i.side.value, i.amount, i.purpose.value, i.reason)
                   for i in pending]  # fmt: skip
    return _result(stamps, equity, exposure, book, orders, config.starting_cash * len(book.cash))


def _column(series: Sequence[SymbolCandles], intent: OrderIntent, name: str) -> np.ndarray:
    return next(s.columns[name] for s in series if (s.venue, s.symbol) == (intent.venue, intent.symbol))


def _result(
    stamps: list[int], equity: list[float], exposure: list[float], book: _Book, orders: list[OrderRecord],
    start: Decimal,
) -> BacktestResult:  # fmt: skip
    curve = np.asarray(equity, dtype=np.float64)
    final = to_decimal(equity[-1]) if equity else start
    trades = tuple(book.trades)
    return BacktestResult(
        timestamps=tuple(stamps), equity=tuple(equity), trades=trades, orders=tuple(orders), starting_cash=start,
        final_equity=final, fees=book.fees, total_return=float(curve[-1] / curve[0] - 1) if curve.size else 0.0,
        max_drawdown=max_drawdown(curve), win_rate=win_rate(trades), sharpe_per_bar=sharpe_per_bar(curve),
        exposure=float(np.mean(exposure)) if exposure else 0.0, open_positions=len(book.positions),
    )  # fmt: skip
