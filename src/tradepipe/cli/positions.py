"""``tradepipe positions``: open positions from the ledger."""

from __future__ import annotations

from rich.table import Table

from tradepipe.cli.common import ConfigOption, console, load_or_exit


def positions(config: ConfigOption = None) -> None:
    """Show open positions from the ledger (the single source of truth)."""
    from tradepipe import wiring

    settings = load_or_exit(config)
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
