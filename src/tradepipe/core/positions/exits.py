"""Stage 7's decision: which open positions to (partly) sell at the latest marks, and the exit state to keep.

The configured rules (``core.positions.rules``) run over all positions at once; the ones that fire become
market sell intents with the deciding rule's purpose and reason. Partial sells are rounded down to the
venue's amount step; a remainder too small to trade again (below the venue's minimum amount or cost) is
sold with it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.positions.book import PositionBook, marks_array, moved_positions
from tradepipe.core.positions.rules import ExitRule, StopLoss, TakeProfit, TimeExit, plan
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import ZERO, round_down_to_step, to_decimal, to_float
from tradepipe.domain.orders import OrderIntent, OrderType, Side
from tradepipe.domain.portfolio import Position

DEFAULT_RULES: tuple[ExitRule, ...] = (StopLoss(), TakeProfit())


@dataclass(frozen=True, slots=True)
class ExitPlan:
    intents: list[OrderIntent] = field(default_factory=list)
    moved: list[Position] = field(default_factory=list)  # positions whose exit state changed (persist these)


def plan_exits(
    positions: Sequence[Position],
    marks: Mapping[tuple[str, str], Decimal],
    *,
    run_id: str,
    now_ms: int = 0,
    rules: Sequence[ExitRule] = DEFAULT_RULES,
    market_rules: Mapping[tuple[str, str], MarketRules] | None = None,
) -> ExitPlan:
    """Sell intents for the positions a rule fires on, and the positions whose stops/high-water marks moved."""
    open_positions = [p for p in positions if p.is_open]
    if not open_positions:
        return ExitPlan()
    book = PositionBook.from_positions(open_positions)
    before = book.copy()
    mark = marks_array(open_positions, marks)
    fraction, decided = plan(book, mark, now_ms, rules)
    intents = []
    for i in np.flatnonzero(fraction > 0):
        position = open_positions[i]
        rule = rules[int(decided[i])]
        amount = _sell_amount(position, float(fraction[i]), marks[position.key], (market_rules or {}).get(position.key))
        if amount <= 0:
            continue
        price = marks[position.key]
        intents.append(
            OrderIntent(
                client_order_id=client_order_id(run_id, position.venue, position.symbol, "sell", 0),
                run_id=run_id,
                venue=position.venue,
                symbol=position.symbol,
                side=Side.SELL,
                amount=amount,
                order_type=OrderType.MARKET,
                purpose=rule.purpose,
                reference_price=price,
                reason=_reason(rule, position, book, int(i), price, now_ms, amount),
            )
        )
    return ExitPlan(intents, moved_positions(open_positions, before, book))


def exit_intents(
    positions: Sequence[Position],
    marks: Mapping[tuple[str, str], Decimal],
    *,
    run_id: str,
    now_ms: int = 0,
    rules: Sequence[ExitRule] = DEFAULT_RULES,
) -> list[OrderIntent]:
    """Only the sell intents of ``plan_exits`` (stop loss and take profit by default)."""
    return plan_exits(positions, marks, run_id=run_id, now_ms=now_ms, rules=rules).intents


def _sell_amount(position: Position, fraction: float, mark: Decimal, rules: MarketRules | None) -> Decimal:
    if fraction >= 1:
        return position.amount
    wanted = min(position.amount, to_decimal(f"{to_float(position.amount) * fraction:.12g}"))  # no float dust
    if rules is not None and rules.amount_quantum > 0:
        wanted = round_down_to_step(wanted, rules.amount_quantum)
    left = position.amount - wanted
    too_small = rules is not None and (left < rules.min_amount or left * mark < rules.min_cost)
    if wanted <= ZERO or left <= ZERO or too_small:
        return position.amount
    return wanted


def _reason(
    rule: ExitRule, position: Position, book: PositionBook, i: int, mark: Decimal, now_ms: int, amount: Decimal
) -> str:
    if isinstance(rule, StopLoss):
        return f"mark {mark} ≤ stop {position.stop_loss}"
    if isinstance(rule, TakeProfit):
        return f"mark {mark} ≥ target {position.take_profit}"
    if isinstance(rule, TimeExit):
        return f"held {(now_ms - position.opened_at_ms) / 3_600_000:.1f} h ≥ {rule.max_ms / 3_600_000:g} h"
    share = f"{amount.normalize():f} of {position.amount.normalize():f}"
    return f"{rule.describe()}: mark {mark}, high {book.high_water[i]:.6g}, sell {share}"
