"""The fault drill: a sim read that times out once makes Prefect retry the stage task, and the cycle completes."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
from sqlalchemy import text

from flows.trading_cycle import trading_cycle
from tests.conftest import make_settings
from tradepipe import wiring

pytestmark = pytest.mark.timeout(300)


def test_a_transient_blip_is_retried_by_prefect_and_the_cycle_completes(prefect_api: str, tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path / "state", discovery={"max_symbols": 10}, sim={"fail_first": {"fetch_tickers": 1}}
    )
    state = trading_cycle(settings=settings, return_state=True)
    assert state.is_completed()
    summary = state.result()
    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[state.state_details.flow_run_id]))
        )
    by_stage = {r.name.rsplit("-", 1)[0]: r for r in runs}
    blips = len(settings.sim.venues)  # each venue's first fetch_tickers times out: one failed attempt per venue
    assert by_stage["discover"].run_count == 1 + blips and by_stage["discover"].state.is_completed()
    assert by_stage["fetch"].run_count == 1  # the blip is per venue and cycle: the retry got through
    with wiring.ledger(settings).engine.connect() as conn:
        attempts = conn.execute(
            text("select attempts from stage_runs where run_id = :r and stage = 'discover'"), {"r": summary.run_id}
        ).scalar_one()
    assert attempts == 1 + blips
    assert summary.universe > 0


def test_unknown_drill_method_names_the_field(tmp_path: Path) -> None:
    from tradepipe.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match=r"sim\.fail_first"):
        make_settings(tmp_path / "state", sim={"fail_first": {"create_order": 1}})
