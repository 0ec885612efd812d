"""Ledger arithmetic: how one fill changes a position and the cash (Decimal throughout)."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, localcontext

from tradepipe.domain.money import ZERO, ledger_round
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import Position
from tradepipe.errors import LedgerError


def base_and_quote(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote.split(":")[0]


def apply_fill(
    position: Position | None,
    fill: Fill,
    *,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
) -> tuple[Position, Decimal]:
    """Return the position after ``fill`` and the change in quote cash (spot, long only).

    Fees in the quote currency reduce cash; fees in the base currency reduce the amount received.
    Selling more than is held raises ``LedgerError``: the ledger never goes short by accident.
    Arithmetic runs at 60 digits and every result is rounded to the ledger's 18 places, so SQLite and
    PostgreSQL store the same numbers and replaying fills reproduces the stored positions exactly. The
    position carries its cost basis: a partial sell removes its pro-rata share, a full close removes all
    of it, so realised P&L after a full close is exactly proceeds − costs − quote fees.
    """
    with localcontext() as ctx:
        ctx.prec = 60
        position, cash = _apply_fill(position, fill, stop_loss=stop_loss, take_profit=take_profit)
    return (
        replace(
            position,
            amount=ledger_round(position.amount),
            average_price=ledger_round(position.average_price),
            cost_basis=ledger_round(position.cost_basis),
            realized_pnl=ledger_round(position.realized_pnl),
        ),
        ledger_round(cash),
    )


def _apply_fill(
    position: Position | None,
    fill: Fill,
    *,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
) -> tuple[Position, Decimal]:
    base, quote = base_and_quote(fill.symbol)
    quote_fee = fill.fee if fill.fee_currency == quote else ZERO
    base_fee = fill.fee if fill.fee_currency == base else ZERO
    current = position or Position(fill.venue, fill.symbol, ZERO, ZERO, None, None, fill.timestamp_ms)
    notional = fill.amount * fill.price
    if fill.side is Side.BUY:
        received = fill.amount - base_fee
        amount = current.amount + received
        cost_basis = current.cost_basis + notional
        opened = current.opened_at_ms if current.amount > 0 else fill.timestamp_ms
        updated = replace(
            current,
            amount=amount,
            average_price=cost_basis / amount if amount > 0 else ZERO,
            cost_basis=cost_basis,
            stop_loss=stop_loss if stop_loss is not None else current.stop_loss,
            take_profit=take_profit if take_profit is not None else current.take_profit,
            opened_at_ms=opened,
            realized_pnl=current.realized_pnl - quote_fee,
        )
        return updated, -(notional + quote_fee)
    sold = fill.amount + base_fee
    if sold > current.amount:
        raise LedgerError(
            f"fill {fill.venue}/{fill.trade_id} sells {sold} {base} but the ledger holds {current.amount}"
        )
    remaining = current.amount - sold
    released = current.cost_basis if remaining == 0 else ledger_round(current.cost_basis * sold / current.amount)
    pnl = notional - released - quote_fee
    updated = replace(
        current,
        amount=remaining,
        average_price=current.average_price if remaining > 0 else ZERO,
        cost_basis=current.cost_basis - released,
        stop_loss=current.stop_loss if remaining > 0 else None,
        take_profit=current.take_profit if remaining > 0 else None,
        realized_pnl=current.realized_pnl + pnl,
    )
    return updated, notional - quote_fee
