"""``tradepipe reconcile``: run the reconcile flow now and print every difference with its resolution."""

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
from tradepipe.cli.history import print_reconciliations
from tradepipe.domain.portfolio import ACCOUNTS
from tradepipe.errors import TradepipeError


def reconcile(
    account: Annotated[
        str | None, typer.Option("--account", "-a", help=f"Only this account ({', '.join(ACCOUNTS)}).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Reconcile the ledger with the paper wallets (and a live venue, when configured); exit 1 on a mismatch."""
    if account is not None and account not in ACCOUNTS:
        raise typer.BadParameter(f"must be one of {', '.join(ACCOUNTS)}", param_hint="--account")
    settings = load_or_exit(config)
    if account is not None and account != settings.mode:
        err_console.print(
            f"[bold red]error:[/] --account {account}: this config trades the {settings.mode} account; use a config "
            f"with mode = {account!r} on the same database_url to reconcile {account}",
            highlight=False,
        )
        raise typer.Exit(code=2)
    check_ledger(settings)
    prepare_prefect(settings)
    from flows.reconcile import reconcile as reconcile_flow
    from tradepipe import wiring
    from tradepipe.core.reconcile import overall_status

    try:
        with console.status("reconciling ..."):
            results = reconcile_flow(settings=settings, account=account)
    except TradepipeError as exc:
        fail(exc)
    shown = []
    for name in sorted({r.account for r in results}):
        shown += wiring.ledger(settings).for_account(name).reconciliation_history(len(results))
    print_reconciliations(shown, title="This reconciliation")
    status = overall_status(results)
    console.print(f"reconciliation: [bold]{status}[/]")
    if status == "mismatch":
        raise typer.Exit(code=1)
