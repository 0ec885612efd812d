"""``tradepipe data download|list|show``: the candle store (history partitions per venue/symbol/timeframe).

``download`` syncs history through the same source router, breakers and incremental fetch as the cycle, with a
progress bar. Offline by default (the simulated venues at a sim time); a ccxt venue is reached only when named
with ``--venue`` (e.g. ``--venue binance``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import polars as pl
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, err_console, load_or_exit
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings
from tradepipe.core.ports import VenueGateway
from tradepipe.errors import CorruptData, TradepipeError, UnsafeName

TimeframeOption = Annotated[
    str | None, typer.Option("--timeframe", "-t", help="Bar size (default: marketdata.timeframe).")
]


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _parse_time(text: str | None, default_ms: int) -> int:
    if not text:
        return default_ms
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=UTC).timestamp() * 1000)
    except ValueError:
        raise typer.BadParameter("an ISO date/time such as 2026-02-01T00:00", param_hint="--as-of") from None


def _gateways(settings: Settings, venue: str | None, as_of_ms: int) -> dict[str, VenueGateway]:
    from tradepipe import wiring

    sims = wiring.gateways(settings, as_of_ms)
    if venue is None:
        return dict(sims)
    if venue in sims:
        return {venue: sims[venue]}
    from tradepipe.adapters.venues.ccxt_gateway import CcxtGateway

    return {venue: CcxtGateway.from_env(venue)}  # a real venue, named explicitly: public endpoints only


def download(
    symbols: Annotated[
        list[str] | None, typer.Argument(help="Symbols such as BTC/USDT (default: every listed one).")
    ] = None,
    venue: Annotated[str | None, typer.Option("--venue", "-v", help="One venue: a sim venue or a ccxt id.")] = None,
    timeframe: TimeframeOption = None,
    bars: Annotated[int, typer.Option(min=1, max=100_000, help="Bars of history to hold (back from --as-of).")] = 1_000,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Up to this time (sim default: the first cycle's).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Download candle history into the store: incremental (only bars newer than stored), routed with breakers."""
    from tradepipe import wiring
    from tradepipe.stages import data_refresh

    settings = load_or_exit(config)
    end = _parse_time(as_of, wiring.first_as_of_ms(settings))
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("downloading", total=None)

        def on_pair(name: str, symbol: str, total: int) -> None:
            if progress.tasks[0].total is None:
                progress.update(task, total=total)
            else:
                progress.advance(task)
            progress.update(task, description=f"{name} {symbol}")

        try:
            report = data_refresh.refresh(
                settings, gateways=_gateways(settings, venue, end), symbols=symbols, timeframe=timeframe,
                bars=bars, end_ms=end, on_pair=on_pair,
            )  # fmt: skip
        except TradepipeError as exc:
            err_console.print(f"[bold red]error:[/] {exc}")
            raise typer.Exit(code=1) from None
        progress.advance(task)
    console.print(
        f"{report.fetched:,} new candles for {report.pairs} symbols up to {_when(end)} UTC; "
        f"{report.incomplete} incomplete"
    )
    for source, calls, error_rate, state in report.sources:
        console.print(f"  {source}: {calls} calls, error rate {error_rate:.0%}, {state}")
    for _, _, reason in report.corrupt:
        console.print(f"  [yellow]corrupt file set aside, symbol quarantined:[/] {reason}")


def list_(
    venue: Annotated[str | None, typer.Option("--venue", "-v", help="Only this venue.")] = None,
    config: ConfigOption = None,
) -> None:
    """List the stored history partitions: candles, time range, parts and size."""
    from tradepipe import wiring

    store = wiring.store(settings := load_or_exit(config))
    root = store.root / "history"
    table = Table(title=f"Candle store ({root})")
    for column in ("venue", "symbol", "timeframe", "candles", "first", "last", "parts", "KiB"):
        table.add_column(column, justify="left" if column in ("venue", "symbol", "timeframe") else "right")
    count = 0
    for directory in sorted(p for p in root.glob("*/*/*") if p.is_dir()):
        v, sym, tf = directory.parts[-3], directory.parts[-2].replace("-", "/", 1), directory.parts[-1]
        parts = store.parts(v, sym, tf)
        if (venue and v != venue) or not parts:
            continue
        try:
            frame = store.read(v, sym, tf)
        except CorruptData as exc:
            err_console.print(f"[yellow]corrupt file set aside:[/] {exc}")
            parts = store.parts(v, sym, tf)
            if not parts:
                continue
            frame = store.read(v, sym, tf)
        size = sum(p.stat().st_size for _, _, p in parts) / 1024
        table.add_row(
            v, sym, tf, f"{frame.height:,}", _when(parts[0][0]), _when(parts[-1][1]), str(len(parts)), f"{size:.1f}"
        )
        count += 1
    table.caption = f"{count} partitions; state_dir {settings.state_dir}"
    console.print(table if count else "the candle store is empty: `tradepipe data download` fills it")


def show(
    venue: Annotated[str, typer.Argument(help="Venue, e.g. sim-alpha.")],
    symbol: Annotated[str, typer.Argument(help="Symbol, e.g. BTC/USDT.")],
    timeframe: TimeframeOption = None,
    tail: Annotated[int, typer.Option(min=1, max=10_000, help="How many of the newest candles.")] = 20,
    config: ConfigOption = None,
) -> None:
    """Show the newest stored candles of one symbol, with gaps between bars marked."""
    from tradepipe import wiring

    settings = load_or_exit(config)
    tf = timeframe or settings.marketdata.timeframe
    try:
        frame = wiring.store(settings).read(venue, symbol, tf)
    except CorruptData as exc:
        err_console.print(f"[bold red]error:[/] corrupt file set aside (the next download re-fetches it): {exc}")
        raise typer.Exit(code=1) from None
    except UnsafeName as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    if frame.is_empty():
        err_console.print(f"[bold red]error:[/] no {tf} candles stored for {venue} {symbol}")
        raise typer.Exit(code=1)
    step = timeframe_ms(tf)
    gaps = int((frame["timestamp"].diff().drop_nulls() != step).sum())
    table = Table(title=f"{venue} {symbol} {tf}: {frame.height:,} candles, {gaps} gaps")
    for column in ("time (UTC)", "open", "high", "low", "close", "volume"):
        table.add_column(column, justify="right")
    for row in frame.tail(tail).iter_rows(named=True):
        cells = [f"{row[c]:.6g}" for c in ("open", "high", "low", "close", "volume")]
        table.add_row(_when(row["timestamp"]), *cells)
    console.print(table)


def summary_frame(settings: Settings) -> pl.DataFrame:
    """One row per stored partition (venue, symbol, timeframe, candles): for scripts and tests."""
    from tradepipe import wiring

    store = wiring.store(settings)
    rows = []
    for directory in sorted(p for p in (store.root / "history").glob("*/*/*") if p.is_dir()):
        v, sym, tf = directory.parts[-3], directory.parts[-2].replace("-", "/", 1), directory.parts[-1]
        rows.append({"venue": v, "symbol": sym, "timeframe": tf, "candles": store.read(v, sym, tf).height})
    return pl.DataFrame(
        rows, schema={"venue": pl.String, "symbol": pl.String, "timeframe": pl.String, "candles": pl.Int64}
    )
