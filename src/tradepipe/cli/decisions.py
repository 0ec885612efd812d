"""``tradepipe decisions``: the decision record — regime, routed strategies, signals, score, filter, outcome."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, load_or_exit

OUTCOME_STYLE = {"approved": "green", "denied": "yellow", "error": "red", "skipped": "dim"}


def _signals(text: str | None) -> str:
    """``strategy LONG 0.72`` per line; a failed strategy shows its error."""
    lines = []
    for entry in json.loads(text or "[]"):
        strategy, direction, confidence = entry[0], entry[1], float(entry[2])
        error = entry[4] if len(entry) > 4 else None
        if error:
            lines.append(f"[red]{strategy} error[/]")
        else:
            lines.append(f"{strategy} {direction.upper()} {confidence:.2f}" if direction == "long" else strategy)
    return "\n".join(lines) or "-"


def _routes(text: str | None) -> str:
    return ", ".join(f"{name}×{weight:g}" for name, weight in json.loads(text or "[]")) or "-"


def _row(row: dict[str, Any]) -> list[str]:
    outcome = str(row["outcome"])
    style = OUTCOME_STYLE.get(outcome, "")
    regime = str(row["regime"])
    if row.get("regime_confidence") is not None:
        regime += f" ({row['regime_confidence']:.2f})"
    return [
        str(row["cycle"]),
        f"{row['venue']}:{row['symbol']}",
        regime,
        _routes(row.get("routes")),
        _signals(row.get("signals")),
        f"{row['score']:.3f}",
        str(row.get("filter_outcome") or "-"),
        f"[{style}]{outcome}[/]" if style else outcome,
        str(row["reason"]),
    ]


def decisions(
    symbol: Annotated[str | None, typer.Option("--symbol", "-s", help="Only this symbol, e.g. BTC/USDT.")] = None,
    run: Annotated[str | None, typer.Option("--run", "-r", help="Only this run (a run id or a cycle number).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Most rows to show.")] = 50,
    config: ConfigOption = None,
) -> None:
    """Show the decision record: per symbol and cycle, the regime, the strategies routed to it, each
    signal, the score, the candidate filter's outcome and what risk did with it (and why)."""
    from tradepipe import wiring
    from tradepipe.adapters.storage.decisions import DecisionStore

    settings = load_or_exit(config)
    rows = DecisionStore(wiring.ledger(settings).engine).query(symbol=symbol, run=run, limit=limit)
    if not rows:
        console.print("no decisions recorded" + (" for that filter" if symbol or run else " yet"))
        return
    table = Table(title="Decisions (newest cycle first, best score first)", show_lines=True)
    for column in ("cycle", "symbol", "regime", "routes", "signals", "score", "filter", "outcome", "reason"):
        table.add_column(column, justify="right" if column in ("cycle", "score") else "left", overflow="fold")
    for row in rows:
        table.add_row(*_row(row))
    console.print(table)
