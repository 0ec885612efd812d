"""Backtest: replay simulated history through the cycle's strategy, risk and exit code; publish the report."""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow

from tasks import backtest as backtest_tasks
from tradepipe.config import Settings, load_settings


@flow(name="backtest", log_prints=False)
def backtest(
    settings: Settings | None = None, bars: int = 500, symbols: int = 3, seed: int | None = None
) -> dict[str, Any]:
    settings = settings or load_settings()
    if seed is not None:
        settings = settings.model_copy(update={"seed": seed})
    run = backtest_tasks.replay(settings, bars, symbols)
    plot = backtest_tasks.publish(settings, run, f"bt-{uuid.uuid4().hex[:8]}")
    return {"venue": run.venue, "symbols": list(run.symbols), "seed": run.seed, "plot": plot, **run.result.summary()}
