"""The ``tradepipe`` command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from tradepipe.config import Settings, load_settings
from tradepipe.errors import ConfigurationError, TradepipeError

app = typer.Typer(
    help="tradepipe: a Prefect-orchestrated crypto trading pipeline (paper trading on a simulator by default).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML config file (default: $TRADEPIPE_CONFIG or ./tradepipe.toml)."),
]


def _settings(config: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load settings or exit with code 2 and a message naming the bad field; nothing is written first."""
    try:
        return load_settings(config, overrides)
    except ConfigurationError as exc:
        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=2) from None


def prepare_prefect(settings: Settings) -> None:
    """Point Prefect at a home inside the state dir and quiet its telemetry; explicit env vars win."""
    home = Path(settings.prefect_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@app.command()
def run(
    cycles: Annotated[int, typer.Option(min=1, help="Number of trading cycles to run, one sim bar apart.")] = 1,
    symbols: Annotated[int | None, typer.Option(min=1, help="Universe size (default: discovery.max_symbols).")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the simulated market (default: config).")] = None,
    config: ConfigOption = None,
) -> None:
    """Run paper trading cycles on the built-in simulated exchange and print each cycle's summary."""
    settings = _settings(config, {"seed": seed} if seed is not None else None)
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
                Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False)
                raise typer.Exit(code=2 if isinstance(exc, ConfigurationError) else 1) from None
            progress.console.print(summary_tables(summary.as_dict()))
            progress.advance(bar)


@app.command()
def positions(config: ConfigOption = None) -> None:
    """Show open positions from the ledger (the single source of truth)."""
    from tradepipe import wiring

    settings = _settings(config)
    table = Table(title="Open positions")
    for column in ("venue", "symbol", "amount", "entry", "stop", "target", "realised P&L"):
        table.add_column(column, justify="right" if column not in ("venue", "symbol") else "left")
    rows = wiring.ledger(settings).open_positions()
    for p in rows:
        table.add_row(
            p.venue,
            p.symbol,
            f"{p.amount.normalize():f}",
            f"{p.average_price:.6g}",
            f"{p.stop_loss:.6g}" if p.stop_loss is not None else "-",
            f"{p.take_profit:.6g}" if p.take_profit is not None else "-",
            f"{p.realized_pnl:.2f}",
        )
    console.print(table if rows else "no open positions")


def summary_tables(s: dict[str, Any]) -> Group:
    """The cycle summary as rich renderables: headline, stage seconds, open positions, quarantined symbols."""
    head = Table(title=f"Cycle {s['cycle']} ({s['run_id']}) at {s['as_of']}", show_header=False)
    for justify in ("left", "right", "left", "right", "left", "right"):
        head.add_column(justify=justify)  # type: ignore[arg-type]
    head.add_row("universe", str(s["universe"]), "signals", str(s["signals"]), "equity", s["equity"])
    head.add_row("quarantined", str(len(s["quarantined"])), "orders", str(s["orders"]), "cash", s["cash"])
    head.add_row("cache hit/miss", f"{s['cache_hits']}/{s['cache_misses']}", "fills", str(s["fills"]),
                 "reconciliation", s["reconciliation"])  # fmt: skip
    head.add_row("recovered", str(s["recovered"]), "exits", str(s["exits"]), "rejected", str(s["rejected"]))
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
    return Group(*parts)


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
