"""``tradepipe data quality``: the latest gate report as rich tables (worst symbols, open quarantine, GX tier)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, err_console, load_or_exit

if TYPE_CHECKING:
    from tradepipe.adapters.storage.quality import GateRunRow, QuarantineEntry
    from tradepipe.domain.quality import QualityReport

VERDICT_STYLE = {"pass": "green", "warn": "yellow", "quarantine": "red"}


def _headline(run: GateRunRow, release_after: int) -> Table:
    from datetime import UTC, datetime

    table = Table(title=f"Quality gate — {run.run_id}", show_header=False)
    table.add_column("key", style="bold")
    table.add_column("value", overflow="fold")
    as_of = datetime.fromtimestamp(run.as_of_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = [
        ("sim time", as_of),
        ("symbols / candles", f"{run.symbols} / {run.rows:,}"),
        ("pass · warn · quarantine", f"{run.passed} · {run.warned} · {run.quarantined}"),
        ("blocked · released", f"{run.blocked} · {run.released} (release after {release_after} clean cycles)"),
        ("polars tier", f"{run.polars_seconds:.3f} s"),
        ("GX tier", f"{run.gx_status} ({run.gx_seconds:.2f} s)" if run.gx_status != "off" else "off"),
        ("HTML report", run.html_report),
        ("GX Data Docs", run.data_docs or "-"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


def _reports(reports: list[QualityReport], title: str) -> Table:
    table = Table(title=title)
    for column in ("venue", "symbol", "score", "verdict", "findings"):
        table.add_column(column, justify="right" if column == "score" else "left")
    for r in reports:
        style = VERDICT_STYLE[r.verdict.value]
        findings = "\n".join(f"{i.check}: {i.detail}" for i in r.issues) or "-"
        table.add_row(r.venue, r.symbol, f"{r.score:.2f}", f"[{style}]{r.verdict.value}[/]", findings)
    return table


def _quarantine(entries: list[QuarantineEntry], release_after: int) -> Table:
    table = Table(title="Open quarantine")
    for column in ("venue", "symbol", "check", "detail", "since", "clean cycles"):
        table.add_column(column)
    for e in entries:
        since = e.first_seen.strftime("%Y-%m-%d %H:%M")
        table.add_row(e.venue, e.symbol, e.check, e.detail, since, f"{e.clean_cycles}/{release_after}")
    return table


def quality(
    symbol: Annotated[str | None, typer.Option("--symbol", "-s", help="Only this symbol, e.g. BTC/USDT.")] = None,
    config: ConfigOption = None,
) -> None:
    """Show the latest data-quality report: counts, worst symbols, open quarantine, report paths.

    With --symbol, that symbol's findings on every venue and its open quarantine entries.
    """
    from tradepipe import wiring

    settings = load_or_exit(config)
    store = wiring.quality_store(settings)
    run = store.latest_run()
    if run is None:
        err_console.print("no quality report yet: run a cycle first (tradepipe run)")
        raise typer.Exit(code=1)
    release_after = settings.quality.release_after_clean_cycles
    console.print(_headline(run, release_after))
    if symbol is None:
        flagged = [r for r in store.reports(run.run_id) if r.issues][: settings.quality.worst_symbols]
        console.print(_reports(flagged, "Worst symbols") if flagged else "every symbol passed every check")
    else:
        mine = store.reports(run.run_id, symbol)
        if not mine:
            err_console.print(f"--symbol: {symbol!r} was not in the latest gate run ({run.symbols} symbols)")
            raise typer.Exit(code=1)
        console.print(_reports(mine, f"{symbol} in {run.run_id}"))
    entries = store.open_quarantine(symbol)
    console.print(_quarantine(entries, release_after) if entries else "no open quarantine")
    if run.gx_failed:
        console.print("GX failed: " + ", ".join(run.gx_failed), highlight=False)
