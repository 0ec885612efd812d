"""Risk checks per minute: ``plan_entries`` for 1,000 candidates against a 200-position portfolio.

One check = one candidate judged by every rule (halt, drawdown, daily loss, locks, position guard, open slots,
confidence, market rules, correlation with held symbols, symbol/venue/quote/cluster caps, portfolio volatility,
cash and reserve, venue minimums) and, when approved, sized into an intent. The correlation model is built from
the returns in the same call (1,200 symbols × 96 bars). Candidates are spread so many pass the screens and walk
the whole sizing path; the outcome mix is in the params.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import numpy as np

from bench.records import record
from tradepipe.config import Settings
from tradepipe.core.risk import PortfolioState, ReturnPanel, plan_entries
from tradepipe.domain.market import MarketRules
from tradepipe.domain.risk import Lock
from tradepipe.domain.strategy import Decision, Direction, Signal

POSITIONS = 200
CANDIDATES = 1_000
BARS = 96
NOW = 1_800_000_000_000
VENUES = ("sim-alpha", "sim-beta")


def scenario(seed: int = 11) -> tuple[list[Decision], PortfolioState, dict[tuple[str, str], MarketRules], ReturnPanel]:
    rng = np.random.default_rng(seed)
    held = [(VENUES[i % 2], f"H{i:03d}/USDT") for i in range(POSITIONS)]
    cands = [(VENUES[i % 2], f"C{i:04d}/USDT") for i in range(CANDIDATES)]
    keys = held + cands
    sectors = rng.normal(0, 0.01, (12, BARS))  # 12 sectors: correlations from ~0 to ~0.99
    loading = rng.uniform(0, 1.5, len(keys))
    sector = rng.integers(0, 12, len(keys))
    returns = (
        loading[:, None] * sectors[sector]
        + rng.normal(0, 0.01, (len(keys), BARS)) * rng.uniform(0.1, 1.5, len(keys))[:, None]
    )
    exposures = {
        k: Decimal(str(round(float(v), 2))) for k, v in zip(held, rng.uniform(50, 400, POSITIONS), strict=True)
    }
    cash = {v: Decimal("60000") for v in VENUES}
    equity = sum(exposures.values(), Decimal(0)) + sum(cash.values(), Decimal(0))
    locks = tuple(
        Lock("cooldown", VENUES[i % 2], f"C{i:04d}/USDT", "cooldown", NOW - 1, NOW + 3_600_000)
        for i in range(0, CANDIDATES, 50)
    )
    state = PortfolioState(
        cash=cash,
        open_positions=frozenset(held),
        equity=equity,
        peak_equity=equity * Decimal("1.05"),
        exposures=exposures,
        reserved={VENUES[0]: Decimal("500")},
        day_start_equity=equity * Decimal("1.01"),
        locks=locks,
        as_of_ms=NOW,
    )
    prices = np.exp(rng.uniform(np.log(0.01), np.log(50_000), CANDIDATES))
    decisions = [
        Decision(
            v,
            s,
            "trend_up",
            (Signal("ema_cross", Direction.LONG, float(sc), "bench"),),
            float(sc),
            float(p),
            float(p) * 0.02,
            float(vol),
        )
        for (v, s), sc, p, vol in zip(
            cands, rng.uniform(0.02, 1.0, CANDIDATES), prices, rng.uniform(0.002, 0.05, CANDIDATES), strict=True
        )
    ]
    rules = {
        (d.venue, d.symbol): MarketRules(
            amount_quantum=Decimal("0.001") if d.last_price > 1 else Decimal("1"),
            price_quantum=Decimal("0.0001"),
            min_amount=Decimal("0.001") if d.last_price > 1 else Decimal("1"),
            min_cost=Decimal("5"),
            taker_fee=Decimal("0.001"),
        )
        for i, d in enumerate(decisions)
        if i % 97  # now and then a symbol without rules
    }
    return decisions, state, rules, ReturnPanel(tuple(keys), returns)


def _time(fn: Any, repeats: int) -> tuple[float, float, Any]:
    """Minimum wall seconds and minimum CPU seconds of this process over ``repeats`` calls, and the last result."""
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = min(wall, time.perf_counter() - started)
        cpu = min(cpu, time.process_time() - started_cpu)
    return wall, cpu, result


def run(quick: bool) -> list[dict[str, Any]]:
    decisions, state, rules, panel = scenario()
    cfg = Settings().risk.model_copy(update={"max_open_positions": 2_000})
    repeats = 3 if quick else 15

    def plan(returns: ReturnPanel | None) -> Any:
        return plan_entries(decisions, state, rules, cfg, run_id="bench", returns=returns)

    plan(panel)  # warm up imports and caches
    seconds, cpu_s, outcome = _time(lambda: plan(panel), repeats)
    plain_s, plain_cpu_s, _ = _time(lambda: plan(None), repeats)
    mix = Counter(denial.rule for _, denial in outcome.denials)
    params = {
        "positions": POSITIONS,
        "candidates": CANDIDATES,
        "bars": BARS,
        "approved": len(outcome.intents),
        "denials": dict(mix.most_common()),
        "repeats": repeats,
        "seconds_per_call": round(seconds, 5),
        "cpu_seconds_per_call": round(cpu_s, 5),
        "checks_per_cpu_min": round(CANDIDATES / cpu_s * 60),  # what a quiet core would do; wall suffers on a busy VM
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }
    return [
        record("risk.checks_per_min", CANDIDATES / seconds * 60, "checks/min", True, **params),
        record(
            "risk.checks_per_min.no_returns",
            CANDIDATES / plain_s * 60,
            "checks/min",
            True,
            positions=POSITIONS,
            candidates=CANDIDATES,
            checks_per_cpu_min=round(CANDIDATES / plain_cpu_s * 60),
            note="same call without a return panel: correlations unknown, fallback volatility",
        ),
    ]
