"""Per-stage wall time and status, written to ``stage_runs``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from tradepipe import wiring
from tradepipe.adapters.crash import crash_point
from tradepipe.config import Settings
from tradepipe.domain.cycle import CycleContext


@contextmanager
def timed_stage(settings: Settings, ctx: CycleContext, stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except BaseException as exc:
        seconds = time.perf_counter() - started
        wiring.ledger(settings).record_stage(
            ctx.run_id, stage, status="failed", seconds=seconds, detail=f"{type(exc).__name__}: {exc}"
        )
        raise
    crash_point(f"stage.{stage}.done")  # the stage's work is done, its stage_runs row not yet written
    wiring.ledger(settings).record_stage(ctx.run_id, stage, status="ok", seconds=time.perf_counter() - started)
