"""Issue 10 on a real (temporary) Prefect API: a cycle stores its metrics and publishes them as artifacts;
a cycle that fails still records its metrics, marks its run failed and raises the stage-failure alert."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import text

from flows.trading_cycle import trading_cycle
from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.errors import ConfigurationError

pytestmark = pytest.mark.timeout(400)


async def _latest_artifact(key: str) -> object:
    async with get_client() as client:
        found = await client.read_latest_artifacts(
            artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])), limit=1
        )
        return found[0]


@pytest.mark.slow  # a whole cold cycle; tests/flows/test_trading_cycle.py runs the report stage in make test
def test_a_cycle_stores_its_metrics_and_publishes_report_and_metrics_table(prefect_api: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state", discovery={"max_symbols": 10})
    summary = trading_cycle(settings=settings)
    names = {m["name"] for m in summary.metrics}
    assert {"stage_latency_p95_seconds", "fill_rate", "drawdown", "peak_rss_mib", "cache_hit_rate"} <= names
    stored = wiring.operations(settings).latest_metrics()
    assert stored is not None and stored.run_id == summary.run_id
    assert {(m.name, m.label) for m in stored.metrics} == {(m["name"], m["label"]) for m in summary.metrics}

    report = asyncio.run(_latest_artifact("trading-cycle-report"))
    table = asyncio.run(_latest_artifact("trading-cycle-metrics"))
    assert f"`{summary.run_id}`" in report.data and "## Dask" in report.data  # type: ignore[attr-defined]
    assert "127.0.0.1" in report.data  # the local cluster's scheduler  # type: ignore[attr-defined]
    assert table.type == "table" and "stage_latency_p50_seconds" in table.data  # type: ignore[attr-defined]


def test_a_failed_cycle_records_metrics_and_raises_the_stage_failure_alert(prefect_api: str, tmp_path: Path) -> None:
    ok = make_settings(tmp_path / "state")  # load refuses an unknown venue; copied in, wiring still refuses it
    settings = ok.model_copy(update={"sim": ok.sim.model_copy(update={"venues": ("sim-alpha", "sim-nowhere")})})
    with pytest.raises(ConfigurationError, match="sim-nowhere"):
        trading_cycle(settings=settings)
    with wiring.ledger(settings).engine.connect() as conn:
        (status,) = conn.execute(text("select status from runs")).one()
    assert status == "failed"
    stored = wiring.operations(settings).latest_metrics()
    assert stored is not None
    values = {(m.name, m.label): m.value for m in stored.metrics}
    assert values[("stage_error_rate", "discover")] == 1.0 and values[("stage_error_rate", "manage")] == 1.0
    assert values[("stage_failures", "")] == 2  # the manage stage still ran after discover failed, and failed too
    (alert,) = [a for a in wiring.operations(settings).alerts() if a.rule == "stage_failures"]
    assert alert.status == "sent" and alert.severity == "critical"
