"""The ``tradepipe`` command line: one module per command (group) in this package, registered here."""

from __future__ import annotations

import sys

import typer

from tradepipe.cli import backtest as backtest_cli
from tradepipe.cli import data as data_cli
from tradepipe.cli import decisions as decisions_cli
from tradepipe.cli import emergency, history, positions, reconcile, run
from tradepipe.cli import orders as orders_cli
from tradepipe.cli import risk as risk_cli
from tradepipe.cli import serve as serve_cli
from tradepipe.cli.common import CommandGroup, prepare_prefect
from tradepipe.cli.run import summary_tables

app = typer.Typer(
    help="tradepipe: a Prefect-orchestrated crypto trading pipeline (paper trading on a simulator by default).",
    no_args_is_help=True,
    add_completion=False,
    cls=CommandGroup,
)
app.command()(run.run)
app.command()(positions.positions)
app.command()(decisions_cli.decisions)
app.command()(reconcile.reconcile)
app.command()(history.history)
app.command()(backtest_cli.backtest)
app.command("emergency-stop")(emergency.emergency_stop)
app.command()(emergency.resume)
app.add_typer(serve_cli.app, name="serve")
app.add_typer(data_cli.app, name="data")
app.add_typer(risk_cli.app, name="risk")
app.add_typer(orders_cli.app, name="orders")

__all__ = ["app", "main", "prepare_prefect", "summary_tables"]


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
