"""Prefect artifacts and events of the report task: the cycle report, its metrics table, alerts, the Dask cluster."""

from __future__ import annotations

from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.events import emit_event

from tradepipe.adapters.compute.dask_cluster import shared_cluster_info
from tradepipe.core.reporting import CycleSummary, render_markdown


def _metric_rows(summary: CycleSummary) -> list[dict[str, Any]]:
    return [
        {"metric": m["name"], "stage": m["label"] or "-", "value": round(float(m["value"]), 6)} for m in summary.metrics
    ]


def _cluster_markdown() -> str:
    clusters = shared_cluster_info()
    if not clusters:
        return "\n## Dask\nno Dask cluster was used by this process\n"
    lines = ["", "## Dask", "| scheduler | workers | dashboard |", "|---|---|---|"]
    lines += [f"| `{c['scheduler']}` | {c['workers']} | {c['dashboard']} |" for c in clusters]
    return "\n".join(lines) + "\n"


def publish(summary: CycleSummary) -> None:
    """Markdown report (with the Dask dashboard link), a metrics table, and one Prefect event per alert sent."""
    create_markdown_artifact(
        render_markdown(summary) + _cluster_markdown(),
        key="trading-cycle-report",
        description=f"cycle {summary.cycle}",
    )
    if summary.metrics:
        create_table_artifact(
            _metric_rows(summary), key="trading-cycle-metrics", description=f"metrics of cycle {summary.cycle}"
        )
    emit_alert_events(summary.alerts, run_id=summary.run_id)


def emit_alert_events(alerts: list[dict[str, Any]], *, run_id: str) -> None:
    """One Prefect event per alert that was sent (not for repeats suppressed by the cooldown)."""
    for alert in alerts:
        if alert["status"] == "sent":
            emit_event(
                event=f"tradepipe.alert.{alert['rule']}",
                resource={"prefect.resource.id": f"tradepipe.alert.{alert['key']}", "tradepipe.run-id": run_id},
                payload=dict(alert),
            )
