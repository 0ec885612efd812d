"""Flow state hooks: a trading cycle that fails still leaves its metrics and raises its alerts."""

from __future__ import annotations

import logging
from typing import Any

from prefect.context import FlowRunContext

from tasks.artifacts import emit_alert_events
from tradepipe.config import Settings, load_settings
from tradepipe.errors import TradepipeError
from tradepipe.stages.observe import observe_failure

logger = logging.getLogger(__name__)


def run_settings() -> Settings:
    """The settings object the running flow was called with, else the config the flow loads itself.

    Never rebuilt from the flow run's stored parameters: those hold secrets redacted (``database_url``).
    """
    context = FlowRunContext.get()
    given = (context.parameters or {}).get("settings") if context else None
    return given if isinstance(given, Settings) else load_settings()


def observe_failed_cycle(flow: Any, flow_run: Any, state: Any) -> None:
    """``on_failure`` hook: mark the ledger's run failed, store its operational metrics, send its alerts."""
    try:
        settings = run_settings()
        seen = observe_failure(settings, state.message or "the flow run failed")
    except TradepipeError as exc:  # e.g. the damaged ledger that failed the cycle: its message says it all
        logger.error("could not record the failed cycle's metrics: %s", exc)
        return
    except Exception:  # a hook must not hide the failure it reports on
        logger.exception("could not record the failed cycle's metrics")
        return
    if seen is not None:
        emit_alert_events(seen.alert_rows(), run_id=seen.run_id)
