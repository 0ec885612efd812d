"""``tradepipe positions``: open positions from the ledger, marked to the latest sim prices."""

from __future__ import annotations

from typing import Annotated

import typer

from tradepipe.cli.common import ConfigOption, console, load_or_exit
from tradepipe.cli.ledger_tables import positions_table
from tradepipe.config import Settings
from tradepipe.domain.portfolio import ACCOUNTS

AccountOption = Annotated[
    str | None,
    typer.Option("--account", "-a", help=f"Ledger account: {' or '.join(ACCOUNTS)} (default: the config's mode)."),
]


def check_account(account: str | None, settings: Settings) -> str:
    """The account to show: the given one (checked) or the one this config trades."""
    if account is None:
        return settings.mode
    if account not in ACCOUNTS:
        raise typer.BadParameter(f"must be one of {', '.join(ACCOUNTS)}", param_hint="--account")
    return account


def positions(
    account: AccountOption = None,
    marks: Annotated[bool, typer.Option(help="Mark to the latest sim prices (unrealised P&L).")] = True,
    config: ConfigOption = None,
) -> None:
    """Show open positions from the ledger (the single source of truth), with P&L, fees and exit state."""
    from tradepipe import wiring
    from tradepipe.stages.marks import mark_prices

    settings = load_or_exit(config)
    account = check_account(account, settings)
    ledger = wiring.ledger(settings).for_account(account)
    for halt in ledger.active_halts():
        console.print(f"[bold red]HALTED[/] ({halt.source}): {halt.reason} — `tradepipe resume` lifts it")
    rows = ledger.open_positions()
    if not rows:
        console.print("no open positions")
        return
    as_of = ledger.last_as_of_ms()
    prices = mark_prices(wiring.gateways(settings, as_of), rows) if marks and as_of and account == settings.mode else {}
    console.print(positions_table(rows, prices, f"Open positions ({account}, {settings.positions.cost_method} cost)"))
