"""Compare what the ledger says a venue holds with what the venue's wallet says; rebuild positions from fills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradepipe.core.positions.accounting import apply_fill
from tradepipe.domain.money import ZERO
from tradepipe.domain.orders import Fill
from tradepipe.domain.portfolio import Position


@dataclass(frozen=True, slots=True)
class BalanceDiff:
    kind: str  # cash_drift | position_drift | unknown_asset
    asset: str
    ledger_value: Decimal
    counterparty_value: Decimal
    action: str  # the policy's response


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    venue: str
    counterparty: str
    diffs: tuple[BalanceDiff, ...]

    @property
    def status(self) -> str:
        return "clean" if not self.diffs else "mismatch"


def compare_balances(
    venue: str,
    counterparty: str,
    ledger_holdings: Mapping[str, Decimal],
    wallet_totals: Mapping[str, Decimal],
    *,
    quote: str,
    tolerance: Decimal = Decimal("1e-9"),
) -> ReconciliationResult:
    """Every asset where ledger and wallet differ by more than ``tolerance``; policy: halt new entries."""
    diffs = []
    for asset in sorted(set(ledger_holdings) | set(wallet_totals)):
        ours = ledger_holdings.get(asset, ZERO)
        theirs = wallet_totals.get(asset, ZERO)
        if abs(ours - theirs) <= tolerance:
            continue
        if asset == quote:
            kind = "cash_drift"
        elif asset not in ledger_holdings:
            kind = "unknown_asset"
        else:
            kind = "position_drift"
        diffs.append(BalanceDiff(kind, asset, ours, theirs, "halt_entries"))
    return ReconciliationResult(venue, counterparty, tuple(diffs))


def rebuild_positions(fills: Iterable[Fill]) -> dict[tuple[str, str], Position]:
    """Positions replayed from the fill history; must equal the materialised ``positions`` rows."""
    positions: dict[tuple[str, str], Position] = {}
    for fill in fills:
        key = (fill.venue, fill.symbol)
        positions[key], _ = apply_fill(positions.get(key), fill)
    return positions
