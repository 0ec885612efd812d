"""A database password given in ``database_url`` never reaches Prefect: not the flow run's stored parameters,
not its task runs, not a log line (on a real temporary Prefect API and a real PostgreSQL ledger)."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId, LogFilter, LogFilterFlowRunId
from sqlalchemy import create_engine, text

from flows.backtest import backtest
from flows.data_refresh import data_refresh
from flows.emergency_stop import emergency_stop
from flows.reconcile import reconcile
from flows.trading_cycle import trading_cycle
from tests.conftest import make_settings

pytestmark = pytest.mark.timeout(400)
SECRET = "PLANTED-pw-7f3a9c"


@pytest.mark.parametrize("flow", [trading_cycle, reconcile, backtest, data_refresh, emergency_stop], ids=str)
def test_every_flow_stores_settings_with_the_password_redacted(flow: object, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://trader:{SECRET}@db.example:5432/ledger"
    settings = make_settings(tmp_path / "state", database_url=url, server={"database_url": url})
    stored = json.dumps(flow.serialize_parameters({"settings": settings}))  # type: ignore[attr-defined]
    assert SECRET not in stored and stored.count("trader:***@db.example") == 2
    assert settings.ledger_url == url  # the object the flow runs with keeps the real URL


async def _stored(flow_run_id: UUID) -> tuple[str, str, str]:
    async with get_client() as client:
        run = await client.read_flow_run(flow_run_id)
        tasks = await client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
        logs = await client.read_logs(log_filter=LogFilter(flow_run_id=LogFilterFlowRunId(any_=[flow_run_id])))
    return (
        json.dumps(run.parameters),
        json.dumps([t.model_dump(mode="json") for t in tasks]),
        "\n".join(log.message for log in logs),
    )


@pytest.mark.postgres
def test_the_database_password_is_in_no_flow_run_parameter_task_run_or_log(
    prefect_api: str, pg_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret_url = pg_url.replace("postgres@", f"postgres:{SECRET}@", 1)  # trust auth: any password connects
    assert SECRET in secret_url
    settings = make_settings(tmp_path / "state", database_url=secret_url)
    caplog.set_level(logging.DEBUG)
    state = reconcile(settings=settings, return_state=True)
    assert state.is_completed(), state.message
    with create_engine(secret_url).connect() as conn:  # the flow really used the passworded PostgreSQL ledger
        assert conn.execute(text("select count(*) from runs")).scalar_one() == 1
    parameters, task_runs, logs = asyncio.run(_stored(state.state_details.flow_run_id))
    assert "postgres:***@127.0.0.1" in parameters  # the URL is there, its password is not
    for stored in (parameters, task_runs, logs, caplog.text):
        assert SECRET not in stored
