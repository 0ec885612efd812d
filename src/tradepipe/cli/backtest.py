"""``tradepipe backtest``: replay simulated history through the cycle's strategy, risk and exits; print a summary.

Runs the backtest stage directly (no Prefect API to start); the ``backtest`` flow/deployment publishes the same
replay as a Prefect artifact.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, fail, load_or_exit
from tradepipe.errors import TradepipeError


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def backtest(
    bars: Annotated[int, typer.Option(min=1, max=4_000, help="Bars to replay (after the engine's warm-up).")] = 500,
    symbols: Annotated[int, typer.Option(min=1, max=50, help="How many of the most traded sim symbols.")] = 3,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed of the simulated market (default: config).")] = None,
    trades: Annotated[int, typer.Option(min=0, help="How many of the last trades to list.")] = 10,
    config: ConfigOption = None,
) -> None:
    """Backtest the configured strategy, risk and exit rules on the simulated market; fills at the next open."""
    from tradepipe.stages import backtest as stage

    settings = load_or_exit(config, {"seed": seed} if seed is not None else None)
    try:
        with console.status(f"replaying {bars} bars of {symbols} symbol(s)"):
            run = stage.backtest(settings, bars, symbols)
    except TradepipeError as exc:
        fail(exc)
    r = run.result
    plot = stage.write_plot(settings, run, f"cli-seed{run.seed}-{bars}x{symbols}")
    table = Table(title=f"Backtest {run.venue} {', '.join(run.symbols)} ({run.timeframe}, seed {run.seed})")
    table.add_column("statistic")
    table.add_column("value", justify="right")
    for key, value in r.summary().items():
        shown = (
            f"{value:.2%}"
            if key in ("total_return", "max_drawdown", "win_rate", "exposure") and value is not None
            else str(value)
        )
        table.add_row(key.replace("_", " "), shown)
    table.caption = f"{_when(r.timestamps[0])} → {_when(r.timestamps[-1])} UTC"
    console.print(table)
    console.print(f"equity curve: {plot}", highlight=False, soft_wrap=True)
    if trades and r.trades:
        listing = Table(title=f"Last {min(trades, len(r.trades))} of {len(r.trades)} trades")
        for column in ("symbol", "opened", "closed", "entry", "exit", "P&L", "exit reason"):
            listing.add_column(column, justify="left" if column in ("symbol", "exit reason") else "right")
        for t in r.trades[-trades:]:
            listing.add_row(t.symbol, _when(t.opened_ms), _when(t.closed_ms), f"{t.entry_price:.6g}",
                            f"{t.exit_price:.6g}", f"{t.pnl:+.2f}", t.exit_reason.split(":")[0])  # fmt: skip
        console.print(listing)
