"""``tradepipe run``: paper trading cycles with a progress bar and a summary per cycle."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tradepipe.adapters.storage.run_lock import RUN_LOCKS
from tradepipe.cli.common import (
    ConfigOption,
    check_ledger,
    console,
    fail,
    load_or_exit,
    prepare_prefect,
)
from tradepipe.config import Settings
from tradepipe.errors import ConfigurationError, RunLocked, TradepipeError


def run(
    cycles: Annotated[int, typer.Option(min=1, help="Number of trading cycles to run, one sim bar apart.")] = 1,
    symbols: Annotated[int | None, typer.Option(min=1, help="Universe size (default: discovery.max_symbols).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the simulated market (default: config).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run paper trading cycles on the built-in simulated exchange and print each cycle's summary.

    The ledger's run lock is held for all the cycles: a second run on the same ledger exits 2 before it writes.
    """
    settings = load_or_exit(config, {"seed": seed} if seed is not None else None)
    try:
        with RUN_LOCKS.held(settings.ledger_url):
            _run_cycles(settings, cycles, symbols)
    except (RunLocked, ConfigurationError) as exc:  # another live run holds the ledger; a ledger we cannot lock
        fail(exc)


def _run_cycles(settings: Settings, cycles: int, symbols: int | None) -> None:
    check_ledger(settings)
    prepare_prefect(settings)
    from flows.trading_cycle import trading_cycle

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as progress:  # fmt: skip
        bar = progress.add_task("trading cycles", total=cycles)
        for _ in range(cycles):
            try:
                summary = trading_cycle(settings=settings, max_symbols=symbols)
            except TradepipeError as exc:
                fail(exc)
            progress.console.print(summary_tables(summary.as_dict()))
            progress.advance(bar)


def summary_tables(s: dict[str, Any]) -> Group:
    """The cycle summary as rich renderables: headline, stage seconds, open positions, quarantined symbols."""
    head = Table(title=f"Cycle {s['cycle']} ({s['run_id']}) at {s['as_of']}", show_header=False)
    for justify in ("left", "right", "left", "right", "left", "right"):
        head.add_column(justify=justify)
    head.add_row("universe", str(s["universe"]), "signals", str(s["signals"]), "equity", s["equity"])
    head.add_row("quarantined", str(len(s["quarantined"])), "orders", str(s["orders"]), "cash", s["cash"])
    head.add_row("cache hit/miss", f"{s['cache_hits']}/{s['cache_misses']}", "fills", str(s["fills"]),
                 "reconciliation", s["reconciliation"])  # fmt: skip
    head.add_row("recovered", str(s["recovered"]), "exits", str(s["exits"]), "rejected", str(s["rejected"]))
    if md := s.get("market_data"):
        head.add_row("candles cached", f"{md['candles_cached']:,}", "fetched", f"{md['candles_fetched']:,}",
                     "fallbacks/disagree", f"{md['fallbacks']}/{md['consensus_disagreements']}")  # fmt: skip
    parts: list[Any] = [head]
    stages = Table(title="Stage seconds")
    for stage in s["stage_seconds"]:
        stages.add_column(stage, justify="right")
    stages.add_row(*(f"{v:.2f}" for v in s["stage_seconds"].values()))
    parts.append(stages)
    if s["open_positions"]:
        pos = Table(title="Open positions")
        for column in ("venue", "symbol", "amount", "entry", "mark", "stop", "target"):
            pos.add_column(column)
        for p in s["open_positions"]:
            pos.add_row(p["venue"], p["symbol"], p["amount"], p["entry"], p["mark"], p["stop"], p["target"])
        parts.append(pos)
    parts += [
        f"[yellow]quarantined[/] {q['venue']} {q['symbol']}: {q['check']} — {q['detail']}" for q in s["quarantined"]
    ]
    parts += [
        f"[bold red]alert[/] ({a['severity']}) {a['key']}: {a['message']}"
        + (" (repeat, within the cooldown)" if a["status"] == "suppressed" else "")
        for a in s.get("alerts", [])
    ]
    return Group(*parts)
