"""The cycle summary: what a person reads after a run (Prefect artifact and terminal table)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class CycleSummary:
    run_id: str
    cycle: int
    as_of: str
    universe: int
    batches: int
    quarantined: list[dict[str, str]] = field(default_factory=list)
    signals: int = 0
    orders: int = 0
    fills: int = 0
    rejected: int = 0
    recovered: int = 0
    exits: int = 0
    open_positions: list[dict[str, str]] = field(default_factory=list)
    cash: str = "0"
    equity: str = "0"
    reconciliation: str = "clean"
    cache_hits: int = 0
    cache_misses: int = 0
    market_data: dict[str, int] = field(default_factory=dict)  # candle cache, fallbacks, consensus (marketdata)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)  # name, value, label (core/reporting/metrics.py)
    alerts: list[dict[str, Any]] = field(default_factory=list)  # key, rule, severity, message, ..., status

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def render_markdown(summary: CycleSummary) -> str:
    """A markdown report: headline numbers, per-stage seconds, positions and quarantined symbols."""
    lines = [
        f"# Trading cycle {summary.cycle} — `{summary.run_id}`",
        f"Sim time **{summary.as_of}**; equity **{summary.equity}** (cash {summary.cash}); "
        f"reconciliation **{summary.reconciliation}**.",
        "",
        "| universe | quarantined | signals | orders | fills | exits | rejected | recovered | cache hit/miss |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {summary.universe} | {len(summary.quarantined)} | {summary.signals} | {summary.orders} | "
        f"{summary.fills} | {summary.exits} | {summary.rejected} | {summary.recovered} | "
        f"{summary.cache_hits}/{summary.cache_misses} |",
        "",
        *_market_data_line(summary.market_data),
        "## Stage seconds",
        "| stage | seconds |",
        "|---|---|",
        *(f"| {stage} | {seconds:.3f} |" for stage, seconds in summary.stage_seconds.items()),
        "",
        "## Open positions",
    ]
    if summary.open_positions:
        lines += ["| venue | symbol | amount | entry | mark | stop | target |", "|---|---|---|---|---|---|---|"]
        lines += [
            f"| {p['venue']} | {p['symbol']} | {p['amount']} | {p['entry']} | {p['mark']} | {p['stop']} | "
            f"{p['target']} |"
            for p in summary.open_positions
        ]
    else:
        lines.append("none")
    if summary.alerts:
        lines += ["", "## Alerts", "| status | severity | alert | detail |", "|---|---|---|---|"]
        lines += [f"| {a['status']} | {a['severity']} | {a['key']} | {a['message']} |" for a in summary.alerts]
    lines += ["", "## Quarantined"]
    if summary.quarantined:
        lines += ["| venue | symbol | check | detail |", "|---|---|---|---|"]
        lines += [f"| {q['venue']} | {q['symbol']} | {q['check']} | {q['detail']} |" for q in summary.quarantined]
    else:
        lines.append("none")
    return "\n".join(lines) + "\n"


def _market_data_line(md: dict[str, int]) -> list[str]:
    if not md:
        return []
    return [
        f"Candle cache: {md.get('candle_cache_hits', 0)} hits / {md.get('candle_cache_misses', 0)} misses "
        f"(source windows); {md.get('candles_fetched', 0)} candles fetched, {md.get('candles_cached', 0)} served "
        f"from cache; {md.get('fallbacks', 0)} fallbacks; {md.get('consensus_disagreements', 0)} consensus "
        f"disagreements; {md.get('missing', 0)} missing; {md.get('corrupt', 0)} corrupt files set aside; "
        f"{md.get('open_circuits', 0)} source circuits not closed.",
        "",
    ]
