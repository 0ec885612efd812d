"""Planted secrets: one ``tradepipe run`` with a password in the PostgreSQL ``database_url`` and API keys in the
environment, then every place a secret could leak is searched for them: the run's output (logs), every file in the
state dir (candle store, wallets, quality reports, caches, Prefect's home with its database of logs, artifacts and
flow runs), every row of the ledger's tables, and Prefect's flow-run parameters. A config error that names the
URL must not print the password either. Each place is its own test, so a leak names the place.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[2]
TRADEPIPE = str(Path(sys.executable).with_name("tradepipe"))
SECRETS = ("pw-PLANTED-7f3a9c", "key-PLANTED-2b8e41", "sec-PLANTED-9d0c55")  # DB password, API key, API secret

Hits = dict[str, list[str]]


def secret_env(state: Path, database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRADEPIPE_", "PREFECT_API_URL", "PREFECT_HOME"))}
    return env | {
        "TRADEPIPE_STATE_DIR": str(state),  # Prefect's home (its database) is inside it: searched with the rest
        "TRADEPIPE_DATABASE_URL": database_url,
        "TRADEPIPE_API_KEY": SECRETS[1],
        "TRADEPIPE_API_SECRET": SECRETS[2],
        "TRADEPIPE_DISCOVERY__MAX_SYMBOLS": "10",
        "TRADEPIPE_QUALITY__GX_ENABLED": "true",  # Data Docs and validation results are files worth searching
        "TRADEPIPE_DASK__N_WORKERS": "1",
    }


def in_bytes(blob: bytes) -> list[str]:
    return [s for s in SECRETS if s.encode() in blob]


@pytest.fixture(scope="module")
def planted(pg_available: None, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Hits]:
    """Run one cycle with the planted secrets; return, per place, what was found where."""
    schema = "tp_secret_" + os.urandom(4).hex()
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    state = tmp_path_factory.mktemp("secret") / "state"
    url = PG_ADMIN_URL.replace("://postgres@", f"://postgres:{SECRETS[0]}@") + f"?options=-csearch_path%3D{schema}"
    try:
        done = subprocess.run(
            [TRADEPIPE, "run"], cwd=ROOT, env=secret_env(state, url), capture_output=True, text=True, timeout=900
        )
        assert done.returncode == 0, done.stderr[-3000:]
        found: dict[str, Hits] = {"output": {}, "state files": {}, "ledger": {}, "flow-run parameters": {}}
        found["output"] = {s: ["stdout/stderr"] for s in in_bytes((done.stdout + done.stderr).encode())}
        for path in sorted(p for p in state.rglob("*") if p.is_file()):
            for s in in_bytes(path.read_bytes()):
                found["state files"].setdefault(s, []).append(str(path.relative_to(state)))
        ledger = create_engine(url)
        with ledger.connect() as conn:
            for table in inspect(conn).get_table_names():
                rows = conn.execute(text(f'select t::text from "{table}" t')).scalars()
                for s in in_bytes("\n".join(rows).encode()):
                    found["ledger"].setdefault(s, []).append(table)
        ledger.dispose()
        found["flow-run parameters"] = flow_run_parameter_hits(state)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    print(f"planted-secret hits: {found}")
    return found


def flow_run_parameter_hits(state: Path) -> Hits:
    """Every flow run's parameters in Prefect's database (the ephemeral API's SQLite file in the state dir)."""
    databases = sorted(state.rglob("prefect.db"))
    assert databases, "no Prefect database in the state dir"
    hits: Hits = {}
    for db in databases:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("select name, parameters from flow_run").fetchall()
        assert rows, f"no flow runs in {db}"
        for name, parameters in rows:
            for s in in_bytes(str(parameters).encode()):
                hits.setdefault(s, []).append(f"flow run {name}")
    return hits


def test_the_run_prints_no_secret(planted: dict[str, Hits]) -> None:
    assert planted["output"] == {}


def test_no_file_in_the_state_dir_holds_a_secret(planted: dict[str, Hits]) -> None:
    assert planted["state files"] == {}


def test_no_ledger_row_holds_a_secret(planted: dict[str, Hits]) -> None:
    assert planted["ledger"] == {}


def test_prefect_flow_run_parameters_hold_no_secret(planted: dict[str, Hits]) -> None:
    assert planted["flow-run parameters"] == {}


def test_a_config_error_does_not_print_the_database_password(tmp_path: Path) -> None:
    url = PG_ADMIN_URL.replace("://postgres@", f"://postgres:{SECRETS[0]}@")
    env = secret_env(tmp_path / "state", url) | {"TRADEPIPE_STRATEGY__FAST": "30"}  # >= strategy.slow: refused
    done = subprocess.run([TRADEPIPE, "run"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "strategy.fast" in done.stderr, done.stderr[-2000:]
    assert in_bytes((done.stdout + done.stderr).encode()) == []
