"""Rich tables for the ledger commands (positions, history, reconcile), built to fit 80 columns.

Numbers never wrap and are never cut; text columns fold onto a second line instead of being cut with "…".
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich import box
from rich.table import Table

from tradepipe.domain.portfolio import Position


def table(title: str, columns: Sequence[str], numeric: Sequence[str] = (), keep: Sequence[str] = ()) -> Table:
    """``numeric`` columns are right-aligned and never wrap; ``keep`` columns are left-aligned and never wrap."""
    out = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False, title_justify="left")
    for name in columns:
        if name in numeric or name in keep:
            out.add_column(name, justify="right" if name in numeric else "left", no_wrap=True)
        else:
            out.add_column(name, overflow="fold")
    return out


def fmt(value: Decimal | float | None, digits: int = 6) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def positions_table(rows: Sequence[Position], marks: dict[tuple[str, str], Decimal], title: str) -> Table:
    """One row per position; second lines (dim) carry the venue, fees paid, high-water mark, ladder progress."""
    numbers = ("qty", "entry", "mark", "unreal", "real/fee", "stop/high", "target")
    out = table(title, ("position", *numbers), numeric=numbers, keep=("position",))
    total = Decimal(0)
    for p in rows:
        mark = marks.get(p.key)
        unrealised = p.unrealized_pnl(mark) if mark is not None else None
        total += unrealised or 0
        ladder = f"\n[dim]step {p.exits_taken}[/]" if p.exits_taken else ""
        out.add_row(
            f"{p.symbol}\n[dim]{p.venue}[/]", fmt(p.amount, 5), fmt(p.average_price, 5), fmt(mark, 5),
            f"{unrealised:.2f}" if unrealised is not None else "-", f"{p.realized_pnl:.2f}\n[dim]-{p.fees:.2f}[/]",
            f"{fmt(p.stop_loss, 5)}\n[dim]{fmt(p.high_water_mark, 5)}[/]", fmt(p.take_profit, 5) + ladder,
        )  # fmt: skip
    out.caption = f"{len(rows)} open; unrealised {total:.2f}; second lines: venue, fees, high-water mark"
    return out


def fills_table(fills: Sequence[dict[str, Any]], title: str) -> Table:
    from datetime import UTC, datetime

    out = table(title, ("when (sim)", "position", "side", "amount", "price", "fee", "why"),
                numeric=("when (sim)", "amount", "price", "fee"), keep=("position", "side"))  # fmt: skip
    for f in fills:
        when = datetime.fromtimestamp(f["timestamp_ms"] / 1000, UTC).strftime("%m-%d %H:%M")
        out.add_row(
            when, f"{f['symbol']}\n[dim]{f['venue']}[/]", f["side"], f"{f['amount'].normalize():f}",
            fmt(f["price"]), f"{f['fee']:.4g}", f"[bold]{f['purpose']}[/] {f['reason']}",
        )  # fmt: skip
    return out


def reconciliations_table(history: Sequence[dict[str, Any]], title: str) -> Table:
    """Each reconciliation, then each difference with the ledger's and the wallet's value and the resolution."""
    out = table(title, ("when", "venue", "status", "kind", "ledger", "wallet", "delta", "resolution"),
                numeric=("when", "ledger", "wallet", "delta"), keep=("venue", "status"))  # fmt: skip
    style = {"clean": "green", "resolved": "yellow", "mismatch": "bold red"}
    for rec in history:
        head = (
            rec["created_at"].strftime("%H:%M:%S"), f"{rec['venue']}\n[dim]{rec['account']}[/]",
            f"[{style.get(rec['status'], '')}]{rec['status']}[/]",
        )  # fmt: skip
        if not rec["diffs"]:
            out.add_row(*head, "-", "-", "-", "-", "-")
        for d in rec["diffs"]:
            out.add_row(
                *head, f"{d['kind']}\n[dim]{d['asset']} {d['reference']}[/]", fmt(d["expected"], 8),
                fmt(d["actual"], 8), fmt(d["delta"], 8), d["resolution"],
            )  # fmt: skip
    return out
