"""Ledger arithmetic: how one fill changes a position and the cash (Decimal throughout).

Cost basis excludes fees, which are kept apart on the position, so at every step
``cash − starting cash = Σ realised − Σ cost basis − Σ fees`` and therefore
``realised + unrealised − fees = equity change``. Two cost methods decide which entry price a sale
releases: ``average`` (pro-rata share of the cost basis) and ``fifo`` (the oldest lots first).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal, localcontext
from typing import Literal

from tradepipe.domain.money import ZERO, ledger_round
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import PAPER, Lot, Position
from tradepipe.errors import ConfigurationError, LedgerError

CostMethod = Literal["average", "fifo"]
COST_METHODS: tuple[CostMethod, ...] = ("average", "fifo")


def base_and_quote(symbol: str) -> tuple[str, str]:
    base, _, quote = symbol.partition("/")
    return base, quote.split(":")[0]


def apply_fill(
    position: Position | None,
    fill: Fill,
    *,
    stop_loss: Decimal | None = None,
    take_profit: Decimal | None = None,
    method: CostMethod = "average",
    account: str = PAPER,
) -> tuple[Position, Decimal]:
    """Return the position after ``fill`` and the change in quote cash (spot, long only).

    Fees in the quote currency reduce cash; fees in the base currency reduce the amount received (a buy)
    or add to the amount given up (a sell). Either way the fee's quote value is added to ``fees``.
    Selling more than is held raises ``LedgerError``: the ledger never goes short by accident.
    Arithmetic runs at 60 digits and every result is rounded to the ledger's 18 places, so SQLite and
    PostgreSQL store the same numbers and replaying fills reproduces the stored positions exactly.
    """
    if method not in COST_METHODS:
        raise ConfigurationError(f"positions.cost_method: {method!r} is not one of {list(COST_METHODS)}")
    with localcontext() as ctx:
        ctx.prec = 60
        current = position or Position(
            fill.venue, fill.symbol, ZERO, ZERO, None, None, fill.timestamp_ms, account=account
        )
        if fill.side is Side.BUY:
            updated, cash = _buy(current, fill, stop_loss, take_profit, method)
        else:
            updated, cash = _sell(current, fill, method)
    return _rounded(updated), ledger_round(cash)


def _fees(fill: Fill) -> tuple[Decimal, Decimal, Decimal]:
    """(quote fee, base fee, quote value of all fees) of ``fill``."""
    base, quote = base_and_quote(fill.symbol)
    quote_fee = fill.fee if fill.fee_currency == quote else ZERO
    base_fee = fill.fee if fill.fee_currency == base else ZERO
    return quote_fee, base_fee, quote_fee + base_fee * fill.price


def _buy(
    current: Position, fill: Fill, stop: Decimal | None, take: Decimal | None, method: CostMethod
) -> tuple[Position, Decimal]:
    quote_fee, base_fee, fee_value = _fees(fill)
    received = fill.amount - base_fee
    reopened = current.amount <= 0
    amount = current.amount + received
    cost_basis = current.cost_basis + received * fill.price
    lots = (*_lots(current), Lot(received, fill.price)) if method == "fifo" else ()
    updated = replace(
        current,
        amount=amount,
        average_price=cost_basis / amount if amount > 0 else ZERO,
        cost_basis=cost_basis,
        fees=current.fees + fee_value,
        stop_loss=stop if stop is not None else current.stop_loss,
        take_profit=take if take is not None else current.take_profit,
        opened_at_ms=fill.timestamp_ms if reopened else current.opened_at_ms,
        entry_amount=received if reopened else current.entry_amount + received,
        high_water_mark=None if reopened else current.high_water_mark,
        exits_taken=0 if reopened else current.exits_taken,
        lots=lots,
    )
    return updated, -(fill.amount * fill.price + quote_fee)


def _sell(current: Position, fill: Fill, method: CostMethod) -> tuple[Position, Decimal]:
    quote_fee, base_fee, fee_value = _fees(fill)
    base, _ = base_and_quote(fill.symbol)
    sold = fill.amount + base_fee
    if sold > current.amount:
        raise LedgerError(
            f"fill {fill.venue}/{fill.trade_id} sells {sold} {base} but the ledger holds {current.amount}"
        )
    remaining = current.amount - sold
    if method == "fifo":
        released, lots = _release_fifo(_lots(current), sold)
    else:
        released = current.cost_basis if remaining == 0 else ledger_round(current.cost_basis * sold / current.amount)
        lots = ()
    cost_basis = current.cost_basis - released if remaining > 0 else ZERO
    closed = remaining == 0
    updated = replace(
        current,
        amount=remaining,
        average_price=ZERO if closed else (cost_basis / remaining if method == "fifo" else current.average_price),
        cost_basis=cost_basis,
        fees=current.fees + fee_value,
        realized_pnl=current.realized_pnl + sold * fill.price - released,
        stop_loss=None if closed else current.stop_loss,
        take_profit=None if closed else current.take_profit,
        high_water_mark=None if closed else current.high_water_mark,
        exits_taken=0 if closed else current.exits_taken,
        entry_amount=ZERO if closed else current.entry_amount,
        lots=lots,
    )
    return updated, fill.amount * fill.price - quote_fee


def _lots(current: Position) -> tuple[Lot, ...]:
    """FIFO lots of ``current``; one booked under average cost has none yet: one lot at its average price."""
    if current.lots or current.amount <= 0:
        return current.lots
    return (Lot(current.amount, current.average_price),)


def _release_fifo(lots: tuple[Lot, ...], sold: Decimal) -> tuple[Decimal, tuple[Lot, ...]]:
    """Cost of ``sold`` taken from the oldest lots first, and the lots left."""
    left, released, index = sold, ZERO, 0
    remaining = list(lots)
    while left > 0 and index < len(remaining):
        lot = remaining[index]
        take = min(left, lot.amount)
        released += take * lot.price
        left -= take
        remaining[index] = Lot(lot.amount - take, lot.price)
        index += 1
    if left > 0:
        raise LedgerError(f"FIFO lots hold {sold - left} but {sold} is sold")
    return released, tuple(lot for lot in remaining if lot.amount > 0)


def _rounded(p: Position) -> Position:
    return replace(
        p,
        amount=ledger_round(p.amount),
        average_price=ledger_round(p.average_price),
        cost_basis=ledger_round(p.cost_basis),
        realized_pnl=ledger_round(p.realized_pnl),
        fees=ledger_round(p.fees),
        entry_amount=ledger_round(p.entry_amount),
        lots=tuple(Lot(ledger_round(lot.amount), ledger_round(lot.price)) for lot in p.lots),
    )
