"""``tradepipe orders``: the order book of the ledger — status, why, where it was routed, and each order's events."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, load_or_exit

app = typer.Typer(help="Orders and their state-machine events (from the ledger).", no_args_is_help=True)
STATUS_STYLE = {
    "filled": "green", "partially_filled": "cyan", "accepted": "cyan", "canceled": "dim", "expired": "dim",
    "denied": "yellow", "rejected": "yellow", "unknown": "bold red", "submitted": "bold red",
    "cancel_pending": "magenta",
}  # fmt: skip


def _num(value: Any, digits: int = 6) -> str:
    return "-" if value is None else f"{float(value):.{digits}g}"


@app.command("list")
def list_orders(
    open_only: Annotated[bool, typer.Option("--open", help="Only orders not in a terminal status.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=10_000, help="Newest this many.")] = 30,
    config: ConfigOption = None,
) -> None:
    """Newest orders first: status (colour), fills, expected vs realised slippage, and the reason or route."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    rows = wiring.ledger(settings).for_account(settings.mode).order_rows(limit=limit, open_only=open_only)
    if not rows:
        console.print("no orders" + (" open" if open_only else ""))
        return
    table = Table(title=f"Orders ({settings.mode}, newest first)", show_lines=False)
    table.add_column("id", no_wrap=True)
    table.add_column("order")
    table.add_column("filled @ avg", justify="right")
    table.add_column("status", no_wrap=True)
    table.add_column("slip bps\nexp → real", justify="right", no_wrap=True)
    table.add_column("why / route", ratio=1)
    for r in rows:
        status = str(r["status"])
        kind = "emulated stop" if r["emulated"] else str(r["order_type"])
        why = str(r["status_reason"] or r["route"] or "")
        table.add_row(
            str(r["client_order_id"])[:10],
            f"{r['venue']} {r['symbol']}\n{r['side']} {kind} {_num(r['amount'])}",
            f"{_num(r['filled'])} @ {_num(r['average_price'])}",
            f"[{STATUS_STYLE.get(status, '')}]{status}[/]",
            f"{_num(r['expected_slippage_bps'], 3)} → {_num(r['slippage_bps'], 3)}",
            why if len(why) <= 90 else why[:87] + "...",
        )
    console.print(table)


@app.command("show")
def show(
    client_order_id: Annotated[str, typer.Argument(help="The client order id (a unique prefix is enough).")],
    config: ConfigOption = None,
) -> None:
    """One order's events in order: what happened, the status it led to, and why."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    ledger = wiring.ledger(settings).for_account(settings.mode)
    matches = [
        r["client_order_id"]
        for r in ledger.order_rows(limit=10_000)
        if r["client_order_id"].startswith(client_order_id)
    ]
    if len(matches) != 1:
        console.print(f"[red]{len(matches)} orders match {client_order_id!r}[/]; give more of the id")
        raise typer.Exit(code=1)
    tracked = ledger.tracked(matches[0])
    assert tracked is not None
    intent = tracked.intent
    head = f"{intent.venue} {intent.symbol} {intent.side.value} {intent.order_type.value} {intent.amount}"
    console.print(f"{tracked.client_order_id}  {head}  status [bold]{tracked.status.value}[/]")
    table = Table(title="Events")
    for name in ("#", "event", "→ status", "trade", "amount", "price", "detail"):
        table.add_column(name)
    for n, e in enumerate(ledger.order_events(tracked.client_order_id), start=1):
        table.add_row(str(n), e.kind.value, e.status.value, e.trade_id or "", _num(e.amount), _num(e.price), e.detail)
    console.print(table)
