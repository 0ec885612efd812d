"""``tradepipe data``: market data and its quality (one module per command, registered on this sub-app)."""

from __future__ import annotations

import typer

from tradepipe.cli import data_quality, data_store

app = typer.Typer(help="Market data: stored candles and the data-quality gate's reports.", no_args_is_help=True)
app.command()(data_quality.quality)
app.command()(data_store.download)
app.command("list")(data_store.list_)
app.command()(data_store.show)
