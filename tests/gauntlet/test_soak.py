"""The soak: consecutive cycles on the simulated exchange under fault injection, with the ledger invariants checked
after every cycle (see ``invariants.py``) and the process's memory sampled.

Faults (``cycle.SOAK_FAULTS``): 5 % timeouts and 2 % rate limits on every venue call, 1 % unknown-outcome creates
and cancels, empty and stale candle pages, one planted bad candle in every 5th symbol, and the pool feed's rug pulls
(about a fifth of new pools). After the last cycle one fault-free cycle settles what is still being looked up;
then every order must be terminal or legitimately open. A few cycles run in ``make test``; 200 in ``make test-slow``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tests.gauntlet.cycle import SOAK_FAULTS, faulty_gateways, run_cycle
from tests.gauntlet.invariants import equity_problems, problems
from tradepipe import wiring
from tradepipe.config import Settings

MIB = 1024 * 1024


@dataclass
class Soak:
    cycles: int = 0
    failed: list[str] = field(default_factory=list)
    retries: int = 0
    rugged_pools: int = 0
    quarantined: int = 0
    violations: list[str] = field(default_factory=list)
    rss_mib: list[float] = field(default_factory=list)
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)


def soak_settings(state: Path, *, gx: bool) -> Settings:
    return make_settings(
        state,
        discovery={"max_symbols": 30},
        sim={"bad_data_every": 5},
        paper={"client_order_id_unique": False},  # the wallet takes a reused client id, so a duplicate send shows
        quality={"gx_enabled": gx},
        dask={"n_workers": 1},
    )


def entries_into(settings: Settings, run_id: str, pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    with wiring.ledger(settings).engine.connect() as conn:
        rows = conn.execute(
            text("select venue, symbol from order_intents where run_id = :r and purpose = 'entry'"), {"r": run_id}
        )
        return [(v, s) for v, s in rows if (v, s) in pairs]


def ledger_counts(settings: Settings) -> dict[str, int]:
    queries = {
        "intents": "select count(*) from order_intents",
        "orders": "select count(*) from orders",
        "fills": "select count(*) from fills",
        "timed_out": "select count(*) from order_events where kind = 'timed_out'",
        "deferred": "select count(*) from order_events where kind = 'deferred'",
        "not_found": "select count(*) from order_events where kind = 'not_found'",
        "failed_runs": "select count(*) from runs where status = 'failed'",
    }
    with wiring.ledger(settings).engine.connect() as conn:
        return {k: int(conn.execute(text(q)).scalar_one()) for k, q in queries.items()}


def check_cycle(settings: Settings, summary: dict[str, Any], pool_symbols: set[str]) -> list[str]:
    found = equity_problems(summary)
    quarantined = {(q["venue"], q["symbol"]) for q in summary["quarantined"]}
    found += [
        f"cycle {summary['cycle']}: entry into quarantined {p}"
        for p in entries_into(settings, summary["run_id"], quarantined)
    ]
    with wiring.ledger(settings).engine.connect() as conn:
        traded = {s for (s,) in conn.execute(text("select distinct symbol from order_intents"))}
    found += [f"cycle {summary['cycle']}: an order in pool token {s}" for s in traded & pool_symbols]
    return found


def soak(monkeypatch: pytest.MonkeyPatch, state: Path, cycles: int, *, gx: bool) -> Soak:
    settings = soak_settings(state, gx=gx)
    clean_gateways = wiring.gateways
    monkeypatch.setattr(wiring, "gateways", faulty_gateways(SOAK_FAULTS))
    result, me, started = Soak(), psutil.Process(), time.perf_counter()
    pools: set[str] = set()
    for _ in range(cycles):
        out = run_cycle(settings)
        result.cycles += 1
        result.retries += out.retries
        result.rugged_pools += out.rugged_pools
        pools |= out.pool_symbols
        if out.summary is None:
            result.failed.append(out.failure)
        else:
            result.quarantined += len(out.summary["quarantined"])
            result.violations += check_cycle(settings, out.summary, pools)
        result.violations += problems(state, settings.ledger_url, settled=False)
        result.rss_mib.append(me.memory_info().rss / MIB)
    monkeypatch.setattr(wiring, "gateways", clean_gateways)
    settle = run_cycle(settings)  # faults over: what is still being looked up gets resolved
    assert settle.summary is not None, settle.failure
    result.violations += problems(state, settings.ledger_url, settled=True)
    result.seconds = time.perf_counter() - started
    result.counts = ledger_counts(settings)
    (state.parent / "soak.json").write_text(json.dumps(result.__dict__, indent=1))
    print(f"soak: {json.dumps({k: v for k, v in result.__dict__.items() if k != 'rss_mib'})[:3000]}")
    print(
        f"soak rss MiB: first {result.rss_mib[0]:.0f}, after 5 {result.rss_mib[min(4, cycles - 1)]:.0f}, "
        f"last {result.rss_mib[-1]:.0f}"
    )
    return result


def assert_held(result: Soak, cycles: int) -> None:
    assert result.cycles == cycles
    assert not result.violations, "\n".join(result.violations[:50])
    assert len(result.failed) <= max(1, cycles // 20), result.failed  # a cycle may fail on a fault; most go through
    assert result.counts["orders"] > 0 and result.counts["fills"] > 0


@pytest.mark.timeout(240)
def test_a_short_soak_under_faults_keeps_every_ledger_promise(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    result = soak(monkeypatch, tmp_path / "state", 6, gx=False)
    assert_held(result, 6)


@pytest.mark.slow
@pytest.mark.timeout(3_600)
def test_two_hundred_cycles_under_faults_keep_every_promise_and_memory_flat(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    result = soak(monkeypatch, tmp_path / "state", 200, gx=True)
    assert_held(result, 200)
    assert result.rugged_pools > 0 and result.quarantined > 0  # the rug pulls and bad candles were really offered
    assert result.counts["timed_out"] > 0 and result.counts["deferred"] > 0  # and unknown outcomes and 429s met
    warm = result.rss_mib[19]  # after the first cycles' imports, compiles and caches
    assert result.rss_mib[-1] - warm < 150, result.rss_mib[::20]
