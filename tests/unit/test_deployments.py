"""prefect.yaml points at real flows and real config files."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from tradepipe.config import load_settings

REPO = Path(__file__).resolve().parents[2]


def test_every_deployment_entrypoint_is_a_flow_and_its_config_loads() -> None:
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments = spec["deployments"]
    assert [d["name"] for d in deployments] == ["paper"]
    for deployment in deployments:
        path, _, name = deployment["entrypoint"].partition(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert flow.name == "trading-cycle"
        assert deployment["schedules"][0]["interval"] > 0
        config = deployment["work_pool"]["job_variables"]["env"]["TRADEPIPE_CONFIG"]
        settings = load_settings(REPO / config)
        assert settings.mode == "paper"
