"""What every command shares: the console, the --config option, settings loading, Prefect preparation."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from typer.core import TyperGroup

from tradepipe.adapters.server import reaper
from tradepipe.config import Settings, load_settings
from tradepipe.errors import ConfigurationError, LedgerCorrupted, RunLocked, TradepipeError

console = Console()
err_console = Console(stderr=True)
ConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="TOML config file (default: $TRADEPIPE_CONFIG or ./tradepipe.toml)."),
]


def exit_code(exc: TradepipeError) -> int:
    """2 when the operator must act before any rerun (the config, a damaged ledger, another live run), else 1."""
    return 2 if isinstance(exc, ConfigurationError | LedgerCorrupted | RunLocked) else 1


def fail(exc: TradepipeError) -> NoReturn:
    """Print ``exc`` as one line on stderr and exit with its ``exit_code``: no traceback."""
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
    raise typer.Exit(code=exit_code(exc)) from None


class CommandGroup(TyperGroup):
    """The app's group: a damaged ledger met by any command exits 2 with the message, never a traceback."""

    def invoke(self, ctx: Any) -> Any:  # typer's Context (typer vendors its own click)
        try:
            return super().invoke(ctx)
        except LedgerCorrupted as exc:
            fail(exc)


def load_or_exit(config: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Load settings or exit with code 2 and a message naming the bad field; nothing is written first."""
    try:
        return load_settings(config, overrides)
    except ConfigurationError as exc:
        fail(exc)


def check_ledger(settings: Settings) -> None:
    """Open (and migrate) the ledger before Prefect starts: a damaged one stops here, exit 2 with its message."""
    from tradepipe import wiring

    wiring.ledger(settings)


def prepare_prefect(settings: Settings) -> None:
    """Point Prefect at a home inside the state dir and quiet its telemetry; explicit env vars win.

    Without ``PREFECT_API_URL`` Prefect starts an ephemeral API server as a child: a watcher process makes it
    (and any other child) die with this process even on SIGKILL, which skips Prefect's own ``atexit`` stop.
    """
    home = Path(settings.prefect_home).resolve()
    home.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PREFECT_HOME", str(home))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    if "PREFECT_API_URL" not in os.environ:
        _children_die_with_me()


@cache
def _children_die_with_me() -> None:
    reaper.start()  # once per process
