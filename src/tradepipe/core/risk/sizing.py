"""Entry sizing with the seed's formula and the skeleton's limits.

size = balance × trade_size_pct × confidence × volatility_factor × (1 − drawdown / max_drawdown),
with volatility_factor = min(max_volatility_factor, target_volatility / realised volatility), then the
venue's lot size and minimums applied last, rounding down in Decimal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from tradepipe.config.sections import RiskSection
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import ZERO, round_down_to_step, to_decimal
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.domain.strategy import Decision, Denial, Direction


@dataclass(frozen=True, slots=True)
class PortfolioState:
    cash: Mapping[str, Decimal]  # quote cash per venue
    open_positions: frozenset[tuple[str, str]]
    equity: Decimal
    peak_equity: Decimal
    halted: str | None = None  # reason new entries are halted (e.g. unresolved reconciliation)

    @property
    def drawdown(self) -> float:
        if self.peak_equity <= 0:
            return 0.0
        return max(0.0, float((self.peak_equity - self.equity) / self.peak_equity))


@dataclass(frozen=True, slots=True)
class SizingOutcome:
    intents: tuple[OrderIntent, ...]
    denials: tuple[tuple[Decision, Denial], ...]
    approved: tuple[Decision, ...] = field(default=())


def volatility_factor(realised: float, cfg: RiskSection) -> float:
    if realised <= 0 or realised != realised:
        return cfg.max_volatility_factor
    return min(cfg.max_volatility_factor, cfg.target_volatility / realised)


def plan_entries(
    decisions: Sequence[Decision],
    state: PortfolioState,
    rules: Mapping[tuple[str, str], MarketRules],
    cfg: RiskSection,
    *,
    run_id: str,
    quality_factor: Mapping[tuple[str, str], float] | None = None,
) -> SizingOutcome:
    """Entry intents for LONG decisions, best score first; every refusal comes back as a denial."""
    cash = dict(state.cash)
    open_count = len(state.open_positions)
    intents: list[OrderIntent] = []
    approved: list[Decision] = []
    denials: list[tuple[Decision, Denial]] = []
    longs = sorted((d for d in decisions if d.direction is Direction.LONG), key=lambda d: (-d.score, d.symbol))
    for decision in longs:
        key = (decision.venue, decision.symbol)
        denial = _portfolio_denial(decision, state, cfg, open_count)
        intent = None
        if denial is None:
            factor = (quality_factor or {}).get(key, 1.0)
            intent, denial = _size_one(decision, cash, rules.get(key), cfg, state.drawdown, factor, run_id)
        if intent is None:
            denials.append((decision, denial or Denial("unknown", "no size")))
            continue
        cash[decision.venue] -= intent.amount * intent.reference_price * (1 + rules[key].taker_fee)
        open_count += 1
        intents.append(intent)
        approved.append(decision)
    return SizingOutcome(tuple(intents), tuple(denials), tuple(approved))


def _portfolio_denial(decision: Decision, state: PortfolioState, cfg: RiskSection, open_count: int) -> Denial | None:
    if state.halted:
        return Denial("halted", state.halted)
    if state.drawdown >= cfg.max_drawdown:
        return Denial("max_drawdown", f"drawdown {state.drawdown:.1%} ≥ {cfg.max_drawdown:.1%}")
    if (decision.venue, decision.symbol) in state.open_positions:
        return Denial("position_open", "a position in this symbol is already open on this venue")
    if open_count >= cfg.max_open_positions:
        return Denial("max_open_positions", f"{open_count} open ≥ {cfg.max_open_positions}")
    if decision.score < cfg.min_confidence:
        return Denial("min_confidence", f"score {decision.score:.3f} < {cfg.min_confidence}")
    return None


def _size_one(
    decision: Decision,
    cash: Mapping[str, Decimal],
    rules: MarketRules | None,
    cfg: RiskSection,
    drawdown: float,
    quality: float,
    run_id: str,
) -> tuple[OrderIntent | None, Denial | None]:
    if rules is None:
        return None, Denial("market_rules", "venue publishes no market rules for this symbol")
    balance = cash.get(decision.venue, ZERO)
    fraction = (
        cfg.trade_size_pct
        * decision.score
        * volatility_factor(decision.volatility, cfg)
        * (1 - drawdown / cfg.max_drawdown)
        * quality
    )
    price = to_decimal(decision.last_price)
    notional = balance * to_decimal(round(fraction, 12))
    notional = min(notional, balance / (1 + rules.taker_fee))
    amount = round_down_to_step(notional / price, rules.amount_quantum) if price > 0 else ZERO
    if amount <= 0 or amount < rules.min_amount:
        return None, Denial("venue_minimum", f"amount {amount} below the venue minimum {rules.min_amount}")
    if amount * price < rules.min_cost:
        return None, Denial("venue_minimum", f"notional {amount * price:.2f} below the minimum {rules.min_cost}")
    stop = price - to_decimal(cfg.stop_loss_atr * decision.atr)
    take = price + to_decimal(cfg.take_profit_atr * decision.atr)
    intent = OrderIntent(
        client_order_id=client_order_id(run_id, decision.venue, decision.symbol, "buy", 0),
        run_id=run_id,
        venue=decision.venue,
        symbol=decision.symbol,
        side=Side.BUY,
        amount=amount,
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.ENTRY,
        reference_price=price,
        stop_loss=round_down_to_step(stop, rules.price_quantum) if stop > 0 else None,
        take_profit=round_down_to_step(take, rules.price_quantum),
        reason=f"score {decision.score:.3f}, fraction {fraction:.4f} of {balance:.2f}",
    )
    return intent, None
