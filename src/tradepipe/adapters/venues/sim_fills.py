"""How a simulated account fills: walking a book, fee rates, and the realism knobs of paper trading."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from tradepipe.domain.money import to_decimal


def walk_book(
    levels: list[list[float]],
    amount: Decimal,
    side: str,
    limit: Decimal | None = None,
    share: Decimal = Decimal(1),
) -> list[tuple[Decimal, Decimal]]:
    """``(price, amount)`` fills taking ``amount`` from ``levels`` (asks for a buy, bids for a sell)."""
    fills: list[tuple[Decimal, Decimal]] = []
    left = amount
    for level in levels:  # a level is [price, amount] (some venues append an order count)
        if left <= 0:
            break
        price, raw_amount = to_decimal(float(level[0])), level[1]
        if limit is not None and (price > limit if side == "buy" else price < limit):
            break
        take = min(left, to_decimal(float(raw_amount)) * share)
        if take > 0:
            fills.append((price, take))
            left -= take
    return fills


@dataclass(frozen=True, slots=True)
class FeeRates:
    taker: Decimal
    maker: Decimal


@dataclass(frozen=True, slots=True)
class Realism:
    """How much worse than the displayed book a fill is; the defaults are a perfect (rosy) fill."""

    depth_share: float = 1.0
    latency_bps: float = 0.0
    reject_rate: float = 0.0
    seed: int = 0
    unique_client_ids: bool = True
