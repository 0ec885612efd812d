"""The standing stack end to end, checked in a real browser.

``tradepipe serve start`` (Prefect server on SQLite, process work pool, ``prefect deploy --all``, a worker, the
metrics endpoint) → ``prefect deployment run 'trading-cycle/paper' --watch`` → headless Chromium opens the Prefect
UI and finds the flow run, its task runs and the report artifact → ``tradepipe serve stop``. Screenshots go to
the test's tmp dir (and to ``$TRADEPIPE_SCREENSHOT_DIR`` when set).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(420)]

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CHROMIUM, CHROMEDRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
STAGES = ["open-cycle", "discover", "fetch", "gate", "evaluate", "size", "execute", "manage", "reconcile", "report"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    env: dict[str, str]
    ui: str
    api: str
    metrics: str
    state: Path

    def cli(self, *argv: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(argv, env=self.env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
        return done


@pytest.fixture
def served() -> Iterator[Served]:
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but /usr/bin/chromium or /usr/bin/chromedriver is missing (make chromium)")
        pytest.skip("needs Debian's chromium and chromium-driver (make chromium)")
    port, metrics_port = _free_port(), _free_port()
    # Not under pytest's tmp_path: concurrent pytest sessions prune old basetemp dirs, pid files included.
    state = Path(tempfile.mkdtemp(prefix="tradepipe-serve-test-")) / "state"
    env = {
        **os.environ,
        "TRADEPIPE_STATE_DIR": str(state),
        "TRADEPIPE_SERVER__PORT": str(port),
        "TRADEPIPE_METRICS__PORT": str(metrics_port),
        "TRADEPIPE_DISCOVERY__MAX_SYMBOLS": "10",
        "TRADEPIPE_DASK__N_WORKERS": "1",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",  # only the run we start, no scheduled ones
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_HOME": str(state / "server" / "prefect"),
    }
    for key in ("PREFECT_API_DATABASE_CONNECTION_URL", "TRADEPIPE_SERVER__DATABASE_URL", "TRADEPIPE_CONFIG"):
        env.pop(key, None)
    served = Served(env, f"http://127.0.0.1:{port}", env["PREFECT_API_URL"], f"http://127.0.0.1:{metrics_port}", state)
    pids: dict[str, int] = {}
    try:
        served.cli(str(BIN / "tradepipe"), "serve", "start", "-c", "deployments/paper.toml", timeout=400)
        pids = {f.stem: int(f.read_text()) for f in (state / "server").glob("*.pid")}
        assert set(pids) == {"server", "worker", "metrics"}
        yield served
    finally:
        stopped = subprocess.run(
            [str(BIN / "tradepipe"), "serve", "stop", "-c", "deployments/paper.toml"],
            env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        leftovers = [pid for pid in pids.values() if _kill_group(pid)]
        shutil.rmtree(state.parent, ignore_errors=True)
        assert not leftovers, f"still running after serve stop: {leftovers}"
        if pids:
            assert "worker: stopped by SIGINT" in stopped.stdout, stopped.stdout + stopped.stderr


def _kill_group(pid: int) -> bool:
    """SIGKILL the process group of ``pid`` if it still exists; True when there was something to kill."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        return False
    return True


def _chromium(screenshots: Path) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1600,1000"):
        options.add_argument(arg)
    screenshots.mkdir(parents=True, exist_ok=True)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


def _wait_for_text(driver: object, *texts: str, timeout: float = 60) -> str:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    def seen(d: object) -> str | bool:
        body = d.find_element(By.TAG_NAME, "body").text  # type: ignore[attr-defined]
        return body if all(t in body for t in texts) else False

    return str(WebDriverWait(driver, timeout, poll_frequency=0.5).until(seen))


def _save(driver: object, path: Path) -> None:
    driver.save_screenshot(str(path))  # type: ignore[attr-defined]
    if target := os.environ.get("TRADEPIPE_SCREENSHOT_DIR"):
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def test_a_deployment_run_shows_in_the_prefect_ui_with_tasks_and_artifacts(served: Served, tmp_path: Path) -> None:
    drill = {"TRADEPIPE_CONFIG": "deployments/paper.toml", "TRADEPIPE_SIM__FAIL_FIRST": '{"fetch_tickers": 1}'}
    run = served.cli(
        str(BIN / "prefect"), "deployment", "run", "trading-cycle/paper", "--watch",
        "--job-variable", f"env={json.dumps(drill)}", timeout=300,
    )  # fmt: skip
    assert "Completed" in run.stdout, run.stdout
    flow_run_id = re.search(r"UUID: ([0-9a-f-]{36})", run.stdout).group(1)  # type: ignore[union-attr]

    flow_run = httpx.get(f"{served.api}/flow_runs/{flow_run_id}", timeout=10).json()
    assert flow_run["state_type"] == "COMPLETED"
    task_runs = httpx.post(
        f"{served.api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [flow_run_id]}}}, timeout=10
    ).json()
    assert {t["name"].rsplit("-", 1)[0] for t in task_runs} == set(STAGES)
    (discover,) = [t for t in task_runs if t["name"].startswith("discover-")]
    assert discover["run_count"] == 3 and discover["state_type"] == "COMPLETED"  # the drill: one blip per sim venue
    (report,) = httpx.post(
        f"{served.api}/artifacts/filter",
        json={"artifacts": {"key": {"any_": ["trading-cycle-report"]}, "flow_run_id": {"any_": [flow_run_id]}}},
        timeout=10,
    ).json()
    assert "## Dask" in report["data"] and "127.0.0.1" in report["data"]  # scheduler + dashboard link
    metrics = httpx.get(f"{served.metrics}/metrics", timeout=10).text
    assert "tradepipe_last_run_cycle 1.0" in metrics  # the endpoint serves what the run stored

    screenshots = tmp_path / "screenshots"
    driver = _chromium(screenshots)
    try:
        driver.get(f"{served.ui}/runs/flow-run/{flow_run_id}")  # type: ignore[attr-defined]
        _wait_for_text(driver, flow_run["name"], "Completed", "trading-cycle", "tradepipe-process", "Artifacts")
        _save(driver, screenshots / "prefect_ui_flow_run.png")  # the run graph (a canvas) and its logs

        _open_tab(driver, "task-runs")
        body = _wait_for_text(driver, "discover-", "evaluate-", "report-")
        _save(driver, screenshots / "prefect_ui_task_runs.png")
        assert all(f"{stage}-" in body for stage in STAGES)

        driver.get(f"{served.ui}/runs/task-run/{discover['id']}")  # type: ignore[attr-defined]
        _wait_for_text(driver, discover["name"], "Completed")
        _save(driver, screenshots / "prefect_ui_retried_task.png")  # its logs show the two retries

        driver.get(f"{served.ui}/runs/flow-run/{flow_run_id}")  # type: ignore[attr-defined]
        _wait_for_text(driver, flow_run["name"], "Artifacts")
        _open_tab(driver, "artifacts")
        _wait_for_text(driver, "trading-cycle-report", "trading-cycle-metrics")
        _save(driver, screenshots / "prefect_ui_artifacts.png")

        driver.get(f"{served.ui}/artifacts/artifact/{report['id']}")  # type: ignore[attr-defined]
        _wait_for_text(driver, "Trading cycle 1", "Stage seconds", "Dask", flow_run["name"])
        _save(driver, screenshots / "prefect_ui_report.png")
    finally:
        driver.quit()  # type: ignore[attr-defined]
    assert len(list(screenshots.glob("*.png"))) == 5


def _open_tab(driver: object, tab_id: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, f"li.p-tab#{tab_id}").click()  # type: ignore[attr-defined]
