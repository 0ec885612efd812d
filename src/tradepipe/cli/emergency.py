"""``tradepipe emergency-stop`` and ``tradepipe resume``: the persisted halt on new entries."""

from __future__ import annotations

from typing import Annotated

import typer

from tradepipe.cli.common import (
    ConfigOption,
    check_ledger,
    console,
    err_console,
    fail,
    load_or_exit,
    prepare_prefect,
)
from tradepipe.cli.positions import AccountOption, check_account
from tradepipe.errors import TradepipeError


def emergency_stop(
    leave_positions: Annotated[
        bool, typer.Option("--leave-positions", help="Cancel orders and halt, but keep positions open.")
    ] = False,
    reason: Annotated[str, typer.Option(help="Why; stored with the halt.")] = "emergency stop (operator)",
    config: ConfigOption = None,
) -> None:
    """Halt new entries, cancel every open order and close every position at market."""
    settings = load_or_exit(config)
    check_ledger(settings)
    prepare_prefect(settings)
    from flows.emergency_stop import emergency_stop as stop_flow

    try:
        with console.status("emergency stop: halting, canceling, closing ..."):
            result = stop_flow(settings=settings, leave_positions=leave_positions, reason=reason)
    except TradepipeError as exc:
        fail(exc)
    console.print(f"[bold red]HALTED[/] (halt #{result['halt_id']}): new entries blocked until `tradepipe resume`")
    console.print(f"canceled {result['canceled']} open order(s); closed {len(result['closed'])} position(s)")
    if result["positions_left"]:
        console.print("positions were left open (--leave-positions)")
    problems = result["cancel_failed"] + result["still_open"] + result["close_rejected"] + result["close_unknown"]
    for problem in problems:
        err_console.print(f"[yellow]needs attention:[/] {problem}")
    if problems:
        raise typer.Exit(code=1)


def resume(account: AccountOption = None, config: ConfigOption = None) -> None:
    """Lift the halt on new entries set by an emergency stop or a reconciliation mismatch."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    account = check_account(account, settings)
    ledger = wiring.ledger(settings).for_account(account)
    lifted = ledger.clear_halts(by="operator")
    console.print(f"lifted {lifted} halt(s) on {account}; new entries allowed" if lifted else "nothing was halted")
    if ledger.unresolved_reconciliations():
        console.print("[yellow]the newest reconciliation is a mismatch: entries stay denied until one is clean[/]")
