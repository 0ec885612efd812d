"""The standing stack behind ``make serve``: Prefect server → work pool → deployments → worker → metrics endpoint.

Everything it writes (pid files, logs, Prefect's home and, on a laptop, Prefect's SQLite database) lives in
``<state_dir>/server``. Prefect's own database is ``[server] database_url`` (PostgreSQL, created when missing)
or SQLite. The ``prefect`` CLI is run as a subprocess: tradepipe never imports prefect.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, make_url, text

from tradepipe.adapters.server.processes import Managed, wait_http_ok
from tradepipe.config import Settings

POOL_TEMPLATE = Path("deployments") / "process-pool.json"
URGENT_QUEUE = "urgent"  # emergency stop: picked before the scheduled runs waiting in "default"
Progress = Callable[[str], None]


def prefect_database_url(settings: Settings, run_dir: Path) -> str:
    """Prefect's server database: the configured PostgreSQL URL with the asyncpg driver, or SQLite in ``run_dir``."""
    url = settings.server.database_url
    if not url:
        return f"sqlite+aiosqlite:///{(run_dir / 'prefect.db').resolve().as_posix()}"
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"server.database_url: Prefect needs PostgreSQL or the SQLite default, got {url!r}")
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


def ensure_postgres_database(url: str) -> bool:
    """Create the database named in a PostgreSQL ``url`` when it does not exist; True if it was created."""
    target = make_url(url)
    admin = create_engine(
        target.set(drivername="postgresql+psycopg", database="postgres"), isolation_level="AUTOCOMMIT"
    )
    try:
        with admin.connect() as conn:
            exists = conn.execute(text("select 1 from pg_database where datname = :n"), {"n": target.database}).first()
            if exists:
                return False
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
            return True
    finally:
        admin.dispose()


@dataclass(frozen=True)
class Stack:
    """The processes and commands of one standing stack."""

    settings: Settings
    project: Path  # the directory holding prefect.yaml
    config: Path | None = None  # the TOML the stack was started with; the metrics endpoint reads the same
    extra_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def run_dir(self) -> Path:
        return (Path(self.settings.state_dir) / "server").resolve()

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.server.host}:{self.settings.server.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.settings.server.host}:{self.settings.server.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://{self.settings.metrics.host}:{self.settings.metrics.port}/metrics"

    def process(self, name: str) -> Managed:
        return Managed(name, self.run_dir)

    def env(self) -> dict[str, str]:
        """Environment of every process: Prefect home and database in the run dir, the API URL, no telemetry."""
        server = self.settings.server
        env = {
            **os.environ,
            "PREFECT_HOME": str(self.run_dir / "prefect"),
            "PREFECT_API_URL": self.api_url,
            "PREFECT_API_DATABASE_CONNECTION_URL": prefect_database_url(self.settings, self.run_dir),
            "PREFECT_SERVER_API_HOST": server.host,
            "PREFECT_SERVER_API_PORT": str(server.port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "DO_NOT_TRACK": "1",
            "PREFECT_CLI_PROMPT": "false",
            "TRADEPIPE_HOME": str(self.project),  # prefect.yaml's pull step: the worker runs flows from here
            "TRADEPIPE_STATE_DIR": str(Path(self.settings.state_dir).resolve()),
            **self.extra_env,
        }
        env.pop("PREFECT_PROFILE", None)
        return env

    def prefect(self, *args: str) -> list[str]:
        return [_executable("prefect"), *args]

    def run(self, *args: str, timeout_s: float = 300.0) -> str:
        """Run a ``prefect`` CLI command against the server; its output, or an error with that output."""
        done = subprocess.run(
            self.prefect(*args), env=self.env(), cwd=self.project, capture_output=True, text=True, timeout=timeout_s
        )
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    # --- lifecycle ------------------------------------------------------------
    def start(
        self, progress: Progress = lambda _: None, *, deploy: bool = True, worker: bool = True
    ) -> dict[str, float]:
        """Start what is not running yet; seconds per step."""
        timings: dict[str, float] = {}
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "prefect").mkdir(exist_ok=True)
        started = time.monotonic()
        if self.settings.server.database_url and ensure_postgres_database(self.settings.server.database_url):
            progress(f"created PostgreSQL database {make_url(self.settings.server.database_url).database}")
        server = self.process("server")
        if server.pid() is None:
            progress(f"starting Prefect server on {self.ui_url}")
            server.spawn(self.prefect("server", "start"), env=self.env(), cwd=self.project)
        wait_http_ok(f"{self.api_url}/health", self.settings.server.startup_timeout_s, process=server)
        timings["server"] = time.monotonic() - started
        step = time.monotonic()
        pool = self.settings.server.work_pool
        progress(f"work pool {pool} (process)")
        template = self.project / POOL_TEMPLATE
        self.run("work-pool", "create", pool, "--type", "process", "--base-job-template", str(template), "--overwrite")
        self.configure_pool()
        timings["work_pool"] = time.monotonic() - step
        if deploy:
            step = time.monotonic()
            progress("deploying everything in prefect.yaml")
            self.run("--no-prompt", "deploy", "--all", timeout_s=600.0)
            timings["deploy"] = time.monotonic() - step
        if worker and self.process("worker").pid() is None:
            progress(f"starting a worker on {pool}")
            argv = self.prefect("worker", "start", "--pool", pool, "--type", "process", "--name", "tradepipe-worker")
            self.process("worker").spawn(argv, env=self.env(), cwd=self.project)
        if self.settings.metrics.port and self.process("metrics").pid() is None:
            progress(f"starting the metrics endpoint on {self.metrics_url}")
            argv = [_executable("tradepipe"), "serve", "metrics"]
            argv += ["--config", str(self.config.resolve())] if self.config else []
            self.process("metrics").spawn(argv, env=self.env(), cwd=self.project)
        timings["total"] = time.monotonic() - started
        (self.run_dir / "stack.json").write_text(json.dumps(self.describe() | {"timings_s": timings}, indent=2))
        return timings

    def configure_pool(self) -> None:
        """One flow run at a time (every deployment writes the same ledger) and an ``urgent`` queue served first."""
        pool = f"{self.api_url}/work_pools/{self.settings.server.work_pool}"
        with httpx.Client(timeout=30) as client:
            client.patch(pool, json={"concurrency_limit": 1}).raise_for_status()
            queues = {q["name"]: q for q in client.post(f"{pool}/queues/filter", json={}).raise_for_status().json()}
            if URGENT_QUEUE not in queues:
                client.post(f"{pool}/queues", json={"name": URGENT_QUEUE, "priority": 1}).raise_for_status()
            else:
                client.patch(f"{pool}/queues/{URGENT_QUEUE}", json={"priority": 1}).raise_for_status()

    def stop(self, progress: Progress = lambda _: None) -> dict[str, str]:
        """Worker first (SIGINT: it lets a flow run finish its bookkeeping), then the metrics endpoint and server."""
        outcome = {}
        for name, sig in (("worker", signal.SIGINT), ("metrics", signal.SIGTERM), ("server", signal.SIGINT)):
            outcome[name] = self.process(name).stop(sig)
            progress(f"{name}: {outcome[name]}")
        return outcome

    def describe(self) -> dict[str, object]:
        return {
            "ui": self.ui_url,
            "api": self.api_url,
            "metrics": self.metrics_url if self.settings.metrics.port else None,
            "database": make_url(prefect_database_url(self.settings, self.run_dir)).render_as_string(),
            "work_pool": self.settings.server.work_pool,
            "run_dir": str(self.run_dir),
            "processes": {n: self.process(n).pid() for n in ("server", "worker", "metrics")},
        }


def _executable(name: str) -> str:
    """A console script of this environment (next to the running Python), else from PATH."""
    local = Path(sys.executable).with_name(name)
    if local.exists():
        return str(local)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed in this environment")
    return found
