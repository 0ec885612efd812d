"""Emergency stop: halt new entries, cancel every open order, close every position (unless told to leave them)."""

from __future__ import annotations

import uuid
from typing import Any

from prefect import flow

from tasks import positions
from tradepipe.config import Settings, load_settings
from tradepipe.stages import emergency


@flow(name="emergency-stop", log_prints=False)
def emergency_stop(
    settings: Settings | None = None, leave_positions: bool = False, reason: str = "emergency stop"
) -> dict[str, Any]:
    settings = settings or load_settings()
    ctx = positions.open_run(settings, f"stop-{uuid.uuid4().hex[:12]}", "emergency_stop")
    halt_id = positions.halt_entries(settings, ctx, reason)
    cancels = positions.cancel_orders(settings, ctx)
    closes = None if leave_positions else positions.close_positions(settings, ctx)
    return positions.finish_run(
        settings, ctx, emergency.summary(cancels, closes, halt_id, settings.mode), "Emergency stop"
    )
