"""Alerts: threshold rules over a run's metrics, and the cooldown that keeps a repeat from being re-sent.

Rules are registered by name (``RULES``); each looks at the metrics and returns the breaches it finds.
An alert's ``key`` names what it is about (rule and subject, e.g. ``latency:fetch``): the cooldown is
per key, so a slow ``fetch`` does not silence a slow ``evaluate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from tradepipe.core.reporting.metrics import Metric


@dataclass(frozen=True, slots=True)
class Thresholds:
    stage_p95_seconds: float = 120.0
    error_rate: float = 0.2
    memory_mib: float = 4096.0
    min_cache_hit_rate: float = 0.0  # 0 = off
    drawdown: float = 0.15
    reconciliation_diffs: int = 0
    stage_failures: int = 0


@dataclass(frozen=True, slots=True)
class Alert:
    key: str
    rule: str
    severity: str  # warning | critical
    message: str
    value: float
    threshold: float


@dataclass(frozen=True, slots=True)
class Triage:
    """The alerts of a run split by the cooldown."""

    send: tuple[Alert, ...]
    suppressed: tuple[Alert, ...]


Rule = Callable[[Mapping[tuple[str, str], float], Thresholds], list[Alert]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def _above(name: str, severity: str, value: float | None, limit: float, what: str, key: str = "") -> list[Alert]:
    if value is None or value <= limit:
        return []
    return [Alert(key or name, name, severity, f"{what} is {value:.4g}, above {limit:.4g}", value, limit)]


@rule("latency")
def _latency(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    found: list[Alert] = []
    for (name, stage), value in m.items():
        if name == "stage_latency_p95_seconds":
            what = f"p95 latency of stage {stage} (s)"
            found += _above("latency", "warning", value, t.stage_p95_seconds, what, f"latency:{stage}")
    return found


@rule("error_rate")
def _error_rate(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    return _above("error_rate", "warning", m.get(("error_rate", "")), t.error_rate, "stage error rate")


@rule("memory")
def _memory(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    return _above("memory", "warning", m.get(("peak_rss_mib", "")), t.memory_mib, "peak memory (MiB)")


@rule("cache_hit_rate")
def _cache(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    rate = m.get(("cache_hit_rate", ""))
    if t.min_cache_hit_rate <= 0 or rate is None or rate >= t.min_cache_hit_rate:
        return []
    message = f"cache hit rate is {rate:.4g}, below {t.min_cache_hit_rate:.4g}"
    return [Alert("cache_hit_rate", "cache_hit_rate", "warning", message, rate, t.min_cache_hit_rate)]


@rule("drawdown")
def _drawdown(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    return _above("drawdown", "critical", m.get(("drawdown", "")), t.drawdown, "drawdown")


@rule("reconciliation")
def _reconciliation(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    diffs = m.get(("reconciliation_diffs", ""))
    return _above("reconciliation", "critical", diffs, t.reconciliation_diffs, "reconciliation differences")


@rule("stage_failures")
def _failures(m: Mapping[tuple[str, str], float], t: Thresholds) -> list[Alert]:
    return _above("stage_failures", "critical", m.get(("stage_failures", "")), t.stage_failures, "failed stages")


def evaluate(metrics: Sequence[Metric], thresholds: Thresholds, rules: Sequence[str] | None = None) -> list[Alert]:
    """Every breach the registered rules (or the named ``rules``) find in ``metrics``."""
    table = {(m.name, m.label): m.value for m in metrics}
    names = list(RULES) if rules is None else list(rules)
    unknown = sorted(set(names) - set(RULES))
    if unknown:
        raise ValueError(f"unknown alert rule(s) {unknown}; known: {sorted(RULES)}")
    return [alert for name in names for alert in RULES[name](table, thresholds)]


def triage(alerts: Sequence[Alert], last_sent: Mapping[str, datetime], now: datetime, cooldown: timedelta) -> Triage:
    """Split ``alerts`` into those to send and those whose key was sent less than ``cooldown`` before ``now``."""
    send: list[Alert] = []
    suppressed: list[Alert] = []
    for alert in alerts:
        previous = last_sent.get(alert.key)
        (suppressed if previous is not None and now - previous < cooldown else send).append(alert)
    return Triage(tuple(send), tuple(suppressed))
