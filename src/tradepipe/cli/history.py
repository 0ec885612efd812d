"""``tradepipe history``: recent fills, closed positions, reconciliations and halts from the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, load_or_exit
from tradepipe.cli.positions import AccountOption, check_account
from tradepipe.domain.portfolio import PAPER


def history(
    account: AccountOption = PAPER,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per table.")] = 20,
    config: ConfigOption = None,
) -> None:
    """Show the newest fills (with why they happened), closed positions and reconciliations."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    ledger = wiring.ledger(settings).for_account(check_account(account))
    fills = Table(title=f"Fills ({account}, newest first)")
    for column in ("time (sim)", "venue", "symbol", "side", "amount", "price", "fee", "purpose", "reason"):
        fills.add_column(column, justify="right" if column in ("amount", "price", "fee") else "left")
    for f in ledger.fill_history(limit):
        when = datetime.fromtimestamp(f["timestamp_ms"] / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        fills.add_row(
            when, f["venue"], f["symbol"], f["side"], f"{f['amount'].normalize():f}", f"{f['price']:.6g}",
            f"{f['fee']:.4g} {f['fee_currency']}", f["purpose"], f["reason"][:60],
        )  # fmt: skip
    console.print(fills if fills.row_count else "no fills yet")
    closed = [p for p in ledger.positions(include_closed=True) if not p.is_open][:limit]
    if closed:
        table = Table(title="Closed positions")
        for column in ("venue", "symbol", "realised", "fees", "net"):
            table.add_column(column, justify="left" if column in ("venue", "symbol") else "right")
        for p in closed:
            net = p.realized_pnl - p.fees
            table.add_row(p.venue, p.symbol, f"{p.realized_pnl:.2f}", f"{p.fees:.2f}", f"{net:.2f}")
        console.print(table)
    print_reconciliations(ledger.reconciliation_history(limit), title="Reconciliations")
    for halt in ledger.active_halts():
        console.print(f"[bold red]HALTED[/] ({halt.source}): {halt.reason}")


def print_reconciliations(history: list[dict], *, title: str) -> None:  # type: ignore[type-arg]
    """Reconciliations and each difference with the policy's resolution."""
    if not history:
        console.print("no reconciliations yet")
        return
    table = Table(title=title)
    for column in ("when", "run", "venue", "against", "status", "kind", "asset", "expected", "actual", "delta",
                   "resolution"):  # fmt: skip
        table.add_column(column, justify="right" if column in ("expected", "actual", "delta") else "left")
    style = {"clean": "green", "resolved": "yellow", "mismatch": "bold red"}
    for rec in history:
        when = rec["created_at"].strftime("%m-%d %H:%M:%S")
        status = f"[{style.get(rec['status'], '')}]{rec['status']}[/]"
        head = (when, rec["run_id"][-12:], rec["venue"], rec["counterparty"], status)
        if not rec["diffs"]:
            table.add_row(*head, "-", "-", "-", "-", "-", "-")
        for d in rec["diffs"]:
            table.add_row(
                *head, d["kind"], d["asset"], f"{d['expected']:.8g}", f"{d['actual']:.8g}", f"{d['delta']:.8g}",
                d["resolution"],
            )  # fmt: skip
    console.print(table)
