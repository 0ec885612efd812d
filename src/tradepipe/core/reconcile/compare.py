"""Differences between the ledger and a wallet, and positions rebuilt from the fill history."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradepipe.core.positions.accounting import CostMethod, apply_fill
from tradepipe.domain.money import ZERO
from tradepipe.domain.orders import Fill
from tradepipe.domain.portfolio import PAPER, Position

HALTED = "halted"  # the one resolution that leaves a reconciliation unresolved


@dataclass(frozen=True, slots=True)
class Diff:
    """One difference and what the policy did about it (stored as a ``reconciliation_diffs`` row)."""

    kind: str  # missing_fill | phantom_order | unknown_order | cash_drift | position_drift | unknown_position | ...
    asset: str
    expected: Decimal  # the ledger's value
    actual: Decimal  # the wallet's value
    resolution: str  # imported | looked_up:<status> | rebuilt | reported | halted
    reference: str = ""  # trade id or client order id
    detail: str = ""

    @property
    def delta(self) -> Decimal:
        return self.actual - self.expected

    @property
    def resolved(self) -> bool:
        return self.resolution != HALTED

    def row(self) -> dict[str, object]:
        return {
            "kind": self.kind, "asset": self.asset, "expected": self.expected, "actual": self.actual,
            "delta": self.delta, "resolution": self.resolution, "reference": self.reference, "detail": self.detail,
        }  # fmt: skip


BalanceDiff = Diff  # the name stage 8 used before diffs carried a resolution


@dataclass(frozen=True, slots=True)
class ReconciliationResult:
    venue: str
    counterparty: str
    diffs: tuple[Diff, ...]
    account: str = PAPER

    @property
    def status(self) -> str:
        """clean (no difference) | resolved (every difference handled by policy) | mismatch (entries halt)."""
        if not self.diffs:
            return "clean"
        return "resolved" if all(d.resolved for d in self.diffs) else "mismatch"


def overall_status(results: Iterable[ReconciliationResult]) -> str:
    """The worst status of several reconciliations: mismatch > resolved > clean."""
    statuses = {r.status for r in results}
    return next((s for s in ("mismatch", "resolved") if s in statuses), "clean")


def compare_balances(
    venue: str,
    counterparty: str,
    ledger_holdings: Mapping[str, Decimal],
    wallet_totals: Mapping[str, Decimal],
    *,
    quote: str,
    tolerance: Decimal = Decimal("1e-9"),
    account: str = PAPER,
) -> ReconciliationResult:
    """Every asset where ledger and wallet differ by more than ``tolerance``.

    Policy: an unexplained balance difference halts new entries (run after missing fills were imported, so
    what is left here has no trade behind it). An asset the wallet holds and the ledger has no position in
    is an ``unknown_position``.
    """
    diffs = []
    for asset in sorted(set(ledger_holdings) | set(wallet_totals)):
        ours = ledger_holdings.get(asset, ZERO)
        theirs = wallet_totals.get(asset, ZERO)
        if abs(ours - theirs) <= tolerance:
            continue
        if asset == quote:
            kind = "cash_drift"
        elif ours == 0:
            kind = "unknown_position"
        else:
            kind = "position_drift"
        detail = f"ledger {ours}, {counterparty} {theirs}: no trade explains the difference"
        diffs.append(Diff(kind, asset, ours, theirs, HALTED, detail=detail))
    return ReconciliationResult(venue, counterparty, tuple(diffs), account)


def rebuild_positions(fills: Iterable[Fill], method: CostMethod = "average") -> dict[tuple[str, str], Position]:
    """Positions replayed from the fill history; must equal the materialised ``positions`` rows."""
    positions: dict[tuple[str, str], Position] = {}
    for fill in fills:
        key = (fill.venue, fill.symbol)
        positions[key], _ = apply_fill(positions.get(key), fill, method=method)
    return positions


ACCOUNTING_FIELDS = ("amount", "average_price", "cost_basis", "realized_pnl", "fees", "lots")


def position_differences(
    stored: Iterable[Position], rebuilt: Mapping[tuple[str, str], Position]
) -> list[tuple[Position | None, Position | None]]:
    """(stored, rebuilt) pairs whose accounting fields differ; closed and missing positions count as empty."""
    stored_by_key = {p.key: p for p in stored}
    out = []
    for key in sorted(set(stored_by_key) | set(rebuilt)):
        a, b = stored_by_key.get(key), rebuilt.get(key)
        if _accounting(a) != _accounting(b):
            out.append((a, b))
    return out


def _accounting(p: Position | None) -> tuple[object, ...]:
    if p is None:
        return (ZERO, ZERO, ZERO, ZERO, ZERO, ())
    return tuple(getattr(p, f) for f in ACCOUNTING_FIELDS)
