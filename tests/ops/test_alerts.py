"""Alerts fire on planted threshold breaches, go to the log and a webhook, and respect the cooldown."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.ops.conftest import Webhook
from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core.reporting.alerts import RULES, Alert, Thresholds, evaluate, triage
from tradepipe.core.reporting.metrics import Metric, TradingFacts
from tradepipe.stages.observe import observe

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
BREACHES = [
    Metric("stage_latency_p95_seconds", 9.0, "fetch"),
    Metric("stage_latency_p95_seconds", 0.5, "gate"),
    Metric("error_rate", 0.5),
    Metric("peak_rss_mib", 900.0),
    Metric("cache_hit_rate", 0.1),
    Metric("drawdown", 0.3),
    Metric("reconciliation_diffs", 2),
    Metric("stage_failures", 1),
]
LOW = Thresholds(stage_p95_seconds=5, error_rate=0.1, memory_mib=512, min_cache_hit_rate=0.5, drawdown=0.2,
                 reconciliation_diffs=0, stage_failures=0)  # fmt: skip


def test_every_rule_fires_on_its_planted_breach() -> None:
    alerts = evaluate(BREACHES, LOW)
    assert {a.key for a in alerts} == {
        "latency:fetch", "error_rate", "memory", "cache_hit_rate", "drawdown", "reconciliation", "stage_failures",
    }  # fmt: skip
    assert {a.rule for a in alerts} == set(RULES)
    by_key = {a.key: a for a in alerts}
    assert by_key["drawdown"].severity == "critical" and by_key["latency:fetch"].severity == "warning"
    assert "above 5" in by_key["latency:fetch"].message and by_key["memory"].value == 900.0


def test_nothing_fires_within_the_thresholds() -> None:
    calm = [Metric(m.name, 0.0 if m.name != "cache_hit_rate" else 1.0, m.label) for m in BREACHES]
    assert evaluate(calm, LOW) == []
    assert evaluate([Metric("cache_hit_rate", 0.0)], Thresholds(min_cache_hit_rate=0.0)) == []  # 0 = rule off


def test_unknown_rule_names_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown alert rule"):
        evaluate(BREACHES, LOW, rules=["latency", "nope"])


def test_triage_suppresses_a_repeat_within_the_cooldown_per_key() -> None:
    fetch = Alert("latency:fetch", "latency", "warning", "slow", 9.0, 5.0)
    gate = Alert("latency:gate", "latency", "warning", "slow", 9.0, 5.0)
    split = triage([fetch, gate], {"latency:fetch": T0}, T0 + timedelta(minutes=30), timedelta(hours=1))
    assert split.send == (gate,) and split.suppressed == (fetch,)
    later = triage([fetch], {"latency:fetch": T0}, T0 + timedelta(hours=1), timedelta(hours=1))
    assert later.send == (fetch,)


def _planted_run(settings: Settings, run_id: str, cycle_seconds: float, failed: bool) -> None:
    ledger = wiring.ledger(settings)
    ledger.start_run(run_id, as_of_ms=1_000 + len(ledger.run_seeds()), mode="paper", seed=settings.seed)
    ledger.record_stage(run_id, "fetch", status="ok", seconds=cycle_seconds)
    if failed:
        ledger.record_stage(run_id, "evaluate", status="failed", seconds=0.1, detail="TransientVenueError: planted")
        ledger.record_stage(run_id, "evaluate", status="ok", seconds=0.2)  # the retry, same row
    ledger.record_stage(run_id, "gate", status="failed" if failed else "ok", seconds=0.1)


@pytest.fixture
def alerting(tmp_path: Path, ledger_url: str, webhook: Webhook) -> Settings:
    alerts = {"webhook_url": webhook.url, "cooldown_minutes": 60, "stage_p95_seconds": 5.0, "drawdown": 0.2}
    return make_settings(tmp_path / "state", database_url=ledger_url, alerts=alerts)


def test_breaches_are_sent_once_then_suppressed_until_the_cooldown_ends(
    alerting: Settings, webhook: Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    facts = TradingFacts(equity=7_000.0, equity_history=(10_000.0,))  # drawdown 0.3 > 0.2
    _planted_run(alerting, "run-a", cycle_seconds=9.0, failed=True)
    with caplog.at_level(logging.WARNING, logger="tradepipe.alerts"):
        first = observe(alerting, "run-a", facts, now=T0)
    sent = {a.key for a in first.alerts.send}
    assert sent == {"latency:fetch", "drawdown", "stage_failures", "error_rate"}
    assert first.delivered_to == ("log", "webhook")
    assert [p["run_id"] for p in webhook.posts] == ["run-a"]
    assert {a["key"] for a in webhook.posts[0]["alerts"]} == sent
    assert "ALERT drawdown [critical]" in caplog.text

    _planted_run(alerting, "run-b", cycle_seconds=9.0, failed=True)
    second = observe(alerting, "run-b", facts, now=T0 + timedelta(minutes=59))
    assert second.alerts.send == () and {a.key for a in second.alerts.suppressed} == sent
    assert len(webhook.posts) == 1  # nothing re-sent within the cooldown

    _planted_run(alerting, "run-c", cycle_seconds=9.0, failed=False)
    third = observe(alerting, "run-c", facts, now=T0 + timedelta(minutes=61))
    assert {a.key for a in third.alerts.send} == {"latency:fetch", "drawdown", "error_rate"}
    assert len(webhook.posts) == 2

    stored = wiring.operations(alerting).alerts(limit=100)
    assert [(a.run_id, a.status) for a in stored if a.key == "drawdown"] == [
        ("run-c", "sent"), ("run-b", "suppressed"), ("run-a", "sent"),
    ]  # fmt: skip
    assert {a.sinks for a in stored if a.status == "sent"} == {"log,webhook"}


def test_metrics_are_stored_per_run_with_retries_counted(alerting: Settings) -> None:
    _planted_run(alerting, "run-a", cycle_seconds=1.0, failed=True)
    observe(alerting, "run-a", TradingFacts(equity=10_000.0))
    stored = wiring.operations(alerting).latest_metrics()
    assert stored is not None and stored.run_id == "run-a"
    values = {(m.name, m.label): m.value for m in stored.metrics}
    assert values[("stage_retries", "evaluate")] == 1 and values[("retries", "")] == 1
    assert values[("stage_seconds", "evaluate")] == pytest.approx(0.3)  # both attempts
    assert values[("stage_failures", "")] == 1  # gate failed; evaluate recovered on its retry


def test_a_failing_webhook_is_logged_and_the_alert_still_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path / "state", alerts={"webhook_url": "http://127.0.0.1:9/nowhere", "drawdown": 0.1})
    _planted_run(settings, "run-a", cycle_seconds=1.0, failed=False)
    with caplog.at_level(logging.ERROR, logger="tradepipe.alerts"):
        seen = observe(settings, "run-a", TradingFacts(equity=5.0, equity_history=(10.0,)), now=T0)
    assert seen.delivered_to == ("log",) and "alert webhook" in caplog.text
    assert [a.sinks for a in wiring.operations(settings).alerts()] == ["log"]
