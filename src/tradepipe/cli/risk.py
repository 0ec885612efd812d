"""``tradepipe risk``: protection locks (what is locked, why, until when) and releasing them by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, err_console, load_or_exit

app = typer.Typer(help="Risk protections: list the active locks, release them by hand.", no_args_is_help=True)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _now_ms(ledger: object) -> int:
    """The ledger's clock: the last cycle's time (sim time on the simulator), else the wall clock."""
    last = ledger.last_as_of_ms()  # type: ignore[attr-defined]
    return int(last) if last is not None else int(datetime.now(UTC).timestamp() * 1000)


@app.command()
def locks(config: ConfigOption = None) -> None:
    """Show the protection locks active at the last cycle's time: protection, scope, reason, since, until."""
    from tradepipe import wiring
    from tradepipe.adapters.storage.protections import ProtectionStore

    settings = load_or_exit(config)
    ledger = wiring.ledger(settings)
    now = _now_ms(ledger)
    active = ProtectionStore(ledger.engine).active_locks(now)
    enabled = ", ".join(settings.protections.enabled) or "none"
    if not active:
        console.print(f"no active locks at {_when(now)} UTC (protections enabled: {enabled})")
        return
    table = Table(title=f"Active protection locks at {_when(now)} UTC (enabled: {enabled})")
    for column in ("protection", "venue", "symbol", "reason", "since (UTC)", "until (UTC)"):
        table.add_column(column, overflow="fold")
    for lock in active:
        table.add_row(lock.protection, lock.venue, lock.symbol, lock.reason, _when(lock.since_ms), _when(lock.until_ms))
    console.print(table)


@app.command()
def release(
    protection: Annotated[str | None, typer.Option("--protection", "-p", help="Only this protection's locks.")] = None,
    symbol: Annotated[str | None, typer.Option("--symbol", "-s", help="Only locks on this symbol.")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Release all active locks without a filter.")] = False,
    config: ConfigOption = None,
) -> None:
    """Release active locks by hand (a protection may lock again next cycle if its trigger still holds)."""
    from tradepipe import wiring
    from tradepipe.adapters.storage.protections import ProtectionStore
    from tradepipe.core.risk.protections import REGISTRY

    if not (protection or symbol or yes):
        console.print("[yellow]give --protection and/or --symbol, or --yes to release every active lock[/]")
        raise typer.Exit(2)
    if protection is not None and protection not in REGISTRY:
        known = ", ".join(sorted(REGISTRY))
        message = f"--protection: unknown protection {protection!r}; known: {known}"
        err_console.print(f"[bold red]error:[/] {message}", highlight=False)
        raise typer.Exit(2)
    settings = load_or_exit(config)
    ledger = wiring.ledger(settings)
    count = ProtectionStore(ledger.engine).release(_now_ms(ledger), protection=protection, symbol=symbol)
    console.print(f"released {count} lock(s)")


@app.command()
def sniper(config: ConfigOption = None) -> None:
    """Judge the pool feed's new DEX pools with the sniper rules ([sniper]): the size each may get, or why not."""
    from tradepipe import wiring
    from tradepipe.core.risk.sniper import plan_snipes
    from tradepipe.stages.discover import new_pools

    settings = load_or_exit(config)
    now = _now_ms(wiring.ledger(settings))
    pools = new_pools(settings, now)
    if not pools:
        console.print(f"no new pools from the {settings.pools.feed} feed at {_when(now)} UTC")
        return
    approved, denied = plan_snipes(pools, settings.sniper)
    table = Table(title=f"Sniper verdicts at {_when(now)} UTC (budget {settings.sniper.budget_quote:,.2f} quote)")
    for column in ("pool", "symbol", "liquidity", "age", "top10 %", "verdict", "size / reason"):
        table.add_column(
            column, justify="right" if column in ("liquidity", "age", "top10 %") else "left", overflow="fold"
        )
    rows = [
        (a.pool, "[green]snipe[/]", f"{a.quote_in:,.2f} quote, impact {a.price_impact_bps:.0f} bps") for a in approved
    ]
    rows += [(p, "[yellow]deny[/]", f"{d.rule}: {d.detail}") for p, d in denied]
    for pool, verdict, detail in rows:
        table.add_row(
            pool.pool_id,
            pool.symbol,
            f"{pool.liquidity_quote:,.0f}",
            f"{pool.age_s / 60:.0f} min",
            f"{pool.top10_holder_pct:.0f}",
            verdict,
            detail,
        )
    console.print(table)
