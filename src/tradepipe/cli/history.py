"""``tradepipe history``: recent fills, closed positions, reconciliations and halts from the ledger."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from tradepipe.cli.common import ConfigOption, console, load_or_exit
from tradepipe.cli.ledger_tables import fills_table, reconciliations_table
from tradepipe.cli.ledger_tables import table as ledger_table
from tradepipe.cli.positions import AccountOption, check_account


def history(
    account: AccountOption = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per table.")] = 20,
    config: ConfigOption = None,
) -> None:
    """Show the newest fills (with why they happened), closed positions and reconciliations."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    account = check_account(account, settings)
    ledger = wiring.ledger(settings).for_account(account)
    fills = ledger.fill_history(limit)
    console.print(fills_table(fills, f"Fills ({account}, newest first)") if fills else "no fills yet")
    closed = [p for p in ledger.positions(include_closed=True) if not p.is_open][:limit]
    if closed:
        table = ledger_table("Closed positions", ("venue", "symbol", "realised", "fees", "net"),
                             numeric=("realised", "fees", "net"))  # fmt: skip
        for p in closed:
            net = p.realized_pnl - p.fees
            table.add_row(p.venue, p.symbol, f"{p.realized_pnl:.2f}", f"{p.fees:.2f}", f"{net:.2f}")
        console.print(table)
    print_reconciliations(ledger.reconciliation_history(limit), title="Reconciliations")
    for halt in ledger.active_halts():
        console.print(f"[bold red]HALTED[/] ({halt.source}): {halt.reason}")


def print_reconciliations(history: list[dict[str, Any]], *, title: str) -> None:
    """Reconciliations and each difference with the policy's resolution."""
    console.print(reconciliations_table(history, title) if history else "no reconciliations yet")
