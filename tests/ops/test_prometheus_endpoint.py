"""The Prometheus endpoint serves the newest run's metrics over real HTTP, in-process and via ``tradepipe serve``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import make_settings
from tradepipe import wiring
from tradepipe.adapters.metrics.prometheus import start_endpoint
from tradepipe.config import Settings
from tradepipe.core.reporting.metrics import TradingFacts
from tradepipe.stages.observe import observe

TRADEPIPE = Path(sys.executable).with_name("tradepipe")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _two_runs(settings: Settings) -> None:
    ledger = wiring.ledger(settings)
    for cycle, (run_id, seconds) in enumerate([("run-a", 1.0), ("run-b", 3.0)]):
        ledger.start_run(run_id, as_of_ms=1_000 + cycle, mode="paper", seed=settings.seed)
        ledger.record_stage(run_id, "fetch", status="ok", seconds=seconds)
        facts = TradingFacts(signals=5 + cycle, orders=2, filled_orders=1, equity=9_000.0, equity_history=(10_000.0,))
        observe(settings, run_id, facts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_endpoint_serves_the_newest_runs_metrics(tmp_path: Path, ledger_url: str) -> None:
    settings = make_settings(tmp_path / "state", database_url=ledger_url, alerts={"drawdown": 0.05})
    _two_runs(settings)
    endpoint = start_endpoint(wiring.operations(settings), "127.0.0.1", 0)
    try:
        response = httpx.get(endpoint.url, timeout=10)
    finally:
        endpoint.close()
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    samples = _samples(response.text)
    assert samples[("tradepipe_last_run_cycle", ())] == 2
    assert samples[("tradepipe_signals", ())] == 6  # the newest run's
    assert samples[("tradepipe_stage_latency_p50_seconds", (("stage", "fetch"),))] == 2.0  # over both runs
    assert samples[("tradepipe_stage_latency_p95_seconds", (("stage", "fetch"),))] == 2.9
    assert samples[("tradepipe_fill_rate", ())] == 0.5
    assert samples[("tradepipe_drawdown", ())] == 0.1
    assert samples[("tradepipe_alerts_total", (("rule", "drawdown"), ("status", "sent")))] == 1
    assert samples[("tradepipe_alerts_total", (("rule", "drawdown"), ("status", "suppressed")))] == 1
    assert "# HELP tradepipe_exposure gross value of the open positions / equity" in response.text


def test_tradepipe_serve_metrics_answers_a_real_get(tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "state")
    _two_runs(settings)
    port = _free_port()
    env = {**os.environ, "TRADEPIPE_STATE_DIR": str(tmp_path / "state")}
    argv = [str(TRADEPIPE), "serve", "metrics", "--port", str(port), "-c", "tradepipe.toml"]
    process = subprocess.Popen(argv, env=env, cwd=Path(__file__).parents[2], stdout=subprocess.PIPE, text=True)
    try:
        deadline, response = time.monotonic() + 60, None
        while response is None and time.monotonic() < deadline and process.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
        assert response is not None and response.status_code == 200, process.poll()
        assert _samples(response.text)[("tradepipe_last_run_cycle", ())] == 2
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
