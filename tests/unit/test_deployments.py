"""prefect.yaml is valid for Prefect, points at real flows with valid parameters and real config files."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from prefect.cli.deploy._models import PrefectYamlModel

from tradepipe.config import load_settings

REPO = Path(__file__).resolve().parents[2]
SPEC: dict[str, Any] = yaml.safe_load((REPO / "prefect.yaml").read_text())
DEPLOYMENTS = {d["name"]: d for d in SPEC["deployments"]}


def _flow(deployment: dict[str, Any]) -> Any:
    path, _, name = deployment["entrypoint"].partition(":")
    assert (REPO / path).exists(), f"{deployment['name']}: entrypoint {path} does not exist"
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def test_prefect_reads_the_file_with_every_deployment_sharing_the_anchored_definitions() -> None:
    model = PrefectYamlModel.model_validate(SPEC)
    assert len(model.deployments) == len(DEPLOYMENTS) >= 5
    for deployment in model.deployments:
        assert deployment.enforce_parameter_schema is True
        assert deployment.work_pool is not None and deployment.work_pool.name == "tradepipe-process"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_entrypoint_is_a_flow_taking_the_parameters_and_the_config_loads(name: str) -> None:
    deployment = DEPLOYMENTS[name]
    flow = _flow(deployment)
    accepted = set(flow.parameters.properties)
    assert set(deployment.get("parameters", {})) <= accepted, f"{name}: parameters the flow does not take"
    config = deployment["work_pool"]["job_variables"]["env"]["TRADEPIPE_CONFIG"]
    assert load_settings(REPO / config).mode == "paper"


def test_schedules_paper_every_few_minutes_reconcile_hourly_emergency_stop_by_hand() -> None:
    flows = {_flow(d).name: d for d in DEPLOYMENTS.values()}
    assert 60 <= flows["trading-cycle"]["schedules"][0]["interval"] <= 3600
    assert flows["reconcile"]["schedules"][0]["cron"].split()[1:] == ["*", "*", "*", "*"]
    stop = flows["emergency-stop"]
    assert not stop.get("schedules") and stop["work_pool"]["work_queue_name"] == "urgent"


@pytest.mark.parametrize(("flow_name", "deployment"), [("data-refresh", "daily"), ("backtest", "nightly")])
def test_data_refresh_and_backtest_deployments_load_their_flows_on_a_daily_cron(
    flow_name: str, deployment: str
) -> None:
    spec = DEPLOYMENTS[deployment]
    assert _flow(spec).name == flow_name
    minute, hour, *rest = spec["schedules"][0]["cron"].split()
    assert minute.isdigit() and hour.isdigit() and rest == ["*", "*", "*"]
    assert spec["enforce_parameter_schema"] is True and spec["concurrency_limit"]["limit"] == 1


def test_the_process_pool_template_is_a_process_job_template() -> None:
    template = json.loads((REPO / "deployments" / "process-pool.json").read_text())
    assert template["job_configuration"]["command"] == "{{ command }}"
    assert "env" in template["variables"]["properties"]
