"""``tradepipe serve``: the standing Prefect server, work pool, deployments and worker; the metrics endpoint."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tradepipe import wiring
from tradepipe.adapters.metrics.prometheus import start_endpoint
from tradepipe.adapters.server.standing import Stack
from tradepipe.cli.common import ConfigOption, console, err_console, load_or_exit

app = typer.Typer(
    help="The standing Prefect stack (server + UI, process work pool, deployments, worker) and the metrics endpoint.",
    no_args_is_help=True,
)
ProjectOption = Annotated[
    Path, typer.Option("--project", help="Directory holding prefect.yaml (the worker runs flows from there).")
]


def _stack(config: Path | None, project: Path) -> Stack:
    settings = load_or_exit(config)
    if not (project / "prefect.yaml").exists():
        err_console.print(f"[bold red]error:[/] --project: no prefect.yaml in {project.resolve()}")
        raise typer.Exit(code=2)
    return Stack(settings, project.resolve(), config)


@app.command()
def start(
    config: ConfigOption = None,
    project: ProjectOption = Path("."),
    deploy: Annotated[bool, typer.Option(help="Register every deployment in prefect.yaml.")] = True,
) -> None:
    """Start the Prefect server (PostgreSQL from server.database_url, else SQLite), the process work pool,
    the deployments of prefect.yaml, a worker and the metrics endpoint; return once everything answers."""
    stack = _stack(config, project)
    try:
        timings = stack.start(lambda line: console.print(f"[cyan]•[/] {line}"), deploy=deploy)
    except (RuntimeError, TimeoutError, ValueError, OSError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from None
    _print_status(stack)
    console.print(f"ready in {timings['total']:.1f} s — stop with [bold]make stop[/] (or tradepipe serve stop)")


@app.command()
def stop(config: ConfigOption = None, project: ProjectOption = Path(".")) -> None:
    """Stop the worker (SIGINT, so a running flow is reported), the metrics endpoint and the server."""
    _stack(config, project).stop(lambda line: console.print(f"[cyan]•[/] {line}"))


@app.command()
def status(config: ConfigOption = None, project: ProjectOption = Path(".")) -> None:
    """Show the stack's processes, addresses and database."""
    _print_status(_stack(config, project))


@app.command()
def metrics(
    config: ConfigOption = None,
    port: Annotated[int | None, typer.Option(min=0, help="Port (default: metrics.port; 0 = a free one).")] = None,
) -> None:
    """Serve Prometheus metrics of the ledger's newest run on /metrics until interrupted."""
    settings = load_or_exit(config)
    endpoint = start_endpoint(wiring.operations(settings), settings.metrics.host, settings.metrics.port
                              if port is None else port)  # fmt: skip
    console.print(f"metrics on {endpoint.url} (ledger {settings.ledger_url})")
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()
    endpoint.close()


def _print_status(stack: Stack) -> None:
    info = stack.describe()
    table = Table(title="tradepipe standing stack", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key in ("ui", "api", "metrics", "database", "work_pool", "run_dir"):
        table.add_row(key, str(info[key] or "-"))
    for name, pid in dict(info["processes"]).items():  # type: ignore[call-overload]
        table.add_row(name, f"pid {pid}" if pid else "[red]not running[/]")
    console.print(table)
