"""Alert sinks: where an alert goes once the cooldown lets it through. The Prefect artifact and event are
created by the report task in ``tasks/`` (tradepipe never imports prefect)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

import httpx

from tradepipe.core.reporting.alerts import Alert

logger = logging.getLogger("tradepipe.alerts")


class AlertSink(Protocol):
    @property
    def name(self) -> str: ...

    def send(self, run_id: str, alerts: Sequence[Alert]) -> bool:
        """Deliver ``alerts``; False when delivery failed (the failure is logged, never raised)."""
        ...


@dataclass(frozen=True, slots=True)
class LogSink:
    name: str = "log"

    def send(self, run_id: str, alerts: Sequence[Alert]) -> bool:
        for alert in alerts:
            level = logging.ERROR if alert.severity == "critical" else logging.WARNING
            logger.log(level, "ALERT %s [%s] %s (run %s)", alert.key, alert.severity, alert.message, run_id)
        return True


@dataclass(frozen=True, slots=True)
class WebhookSink:
    """POSTs ``{"source": "tradepipe", "run_id": ..., "alerts": [...]}`` as JSON to ``url``."""

    url: str
    timeout_s: float = 5.0
    name: str = "webhook"

    def send(self, run_id: str, alerts: Sequence[Alert]) -> bool:
        payload = {"source": "tradepipe", "run_id": run_id, "alerts": [asdict(a) for a in alerts]}
        try:
            response = httpx.post(self.url, json=payload, timeout=self.timeout_s)
            response.raise_for_status()
        except httpx.HTTPError as exc:
            logger.error("alert webhook %s failed: %s", self.url, exc)
            return False
        return True


def deliver(run_id: str, alerts: Sequence[Alert], sinks: Sequence[AlertSink]) -> list[str]:
    """Send ``alerts`` to every sink; the names of the sinks that accepted them."""
    if not alerts:
        return []
    return [sink.name for sink in sinks if sink.send(run_id, alerts)]
