"""``tradepipe positions``: open positions from the ledger, marked to the latest sim prices."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, load_or_exit
from tradepipe.domain.portfolio import ACCOUNTS, PAPER

AccountOption = Annotated[
    str, typer.Option("--account", "-a", help=f"Ledger account: one of {', '.join(ACCOUNTS)}.", show_default=True)
]


def check_account(account: str) -> str:
    if account not in ACCOUNTS:
        raise typer.BadParameter(f"must be one of {', '.join(ACCOUNTS)}", param_hint="--account")
    return account


def money(value: Decimal | None, digits: int = 6) -> str:
    return "-" if value is None else f"{value:.{digits}g}"


def positions(
    account: AccountOption = PAPER,
    marks: Annotated[bool, typer.Option(help="Mark to the latest sim prices (unrealised P&L).")] = True,
    config: ConfigOption = None,
) -> None:
    """Show open positions from the ledger (the single source of truth), with P&L, fees and exit state."""
    from tradepipe import wiring
    from tradepipe.stages.marks import mark_prices

    settings = load_or_exit(config)
    ledger = wiring.ledger(settings).for_account(check_account(account))
    for halt in ledger.active_halts():
        console.print(f"[bold red]HALTED[/] ({halt.source}): {halt.reason} — `tradepipe resume` lifts it")
    rows = ledger.open_positions()
    if not rows:
        console.print("no open positions")
        return
    as_of = ledger.last_as_of_ms()
    prices = mark_prices(wiring.gateways(settings, as_of), rows) if marks and as_of and account == PAPER else {}
    table = Table(title=f"Open positions ({account}, {settings.positions.cost_method} cost)")
    columns = ("venue", "symbol", "amount", "entry", "mark", "unrealised", "realised", "fees", "stop", "target",
               "high", "ladder")  # fmt: skip
    for column in columns:
        table.add_column(column, justify="left" if column in ("venue", "symbol") else "right")
    total_unrealised = Decimal(0)
    for p in rows:
        mark = prices.get(p.key)
        unrealised = p.unrealized_pnl(mark) if mark is not None else None
        total_unrealised += unrealised or 0
        table.add_row(
            p.venue, p.symbol, f"{p.amount.normalize():f}", money(p.average_price), money(mark),
            f"{unrealised:.2f}" if unrealised is not None else "-", f"{p.realized_pnl:.2f}", f"{p.fees:.2f}",
            money(p.stop_loss), money(p.take_profit), money(p.high_water_mark), str(p.exits_taken),
        )  # fmt: skip
    table.caption = f"{len(rows)} open; unrealised {total_unrealised:.2f}"
    console.print(table)
