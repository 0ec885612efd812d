"""The soak: consecutive cycles on the simulated exchange under fault injection, with the ledger invariants checked
after every cycle (see ``invariants.py``) and the process's memory sampled.

Faults (``cycle.SOAK_FAULTS``): 5 % timeouts and 2 % rate limits on every venue call, 1 % unknown-outcome creates
and cancels, empty and stale candle pages and one planted bad candle in every 5th symbol. The pool feed's rug pulls
are counted (``rugged_pools``) and no pool token may ever get an order; a pool is discovered while new, before it
rugs, so the count stays 0 (measured: 0 in 200 cycles) — the cycle trades no DEX pools to rug.
After the last cycle one fault-free cycle settles what is still being looked up;
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
    failed_stages: dict[str, int] = field(default_factory=dict)


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


def soak(state: Path, cycles: int, *, gx: bool) -> Soak:
    settings = soak_settings(state, gx=gx)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(wiring, "gateways", faulty_gateways(SOAK_FAULTS))
        result = soak_cycles(settings, state, cycles)
    settle = run_cycle(settings)  # faults over: what is still being looked up gets resolved
    assert settle.summary is not None, settle.failure
    result.violations += problems(state, settings.ledger_url, settled=True)
    result.seconds = time.perf_counter() - result.seconds
    result.counts = ledger_counts(settings)
    result.failed_stages = failed_stages(settings)
    (state.parent / "soak.json").write_text(json.dumps(result.__dict__, indent=1))
    print(f"soak: {json.dumps({k: v for k, v in result.__dict__.items() if k not in ('rss_mib', 'failed')})[:3000]}")
    print(f"soak rss MiB every 20 cycles: {[round(m) for m in result.rss_mib[::20]]}, last {result.rss_mib[-1]:.0f}")
    return result


def soak_cycles(settings: Settings, state: Path, cycles: int) -> Soak:
    result, me = Soak(seconds=time.perf_counter()), psutil.Process()
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
    return result


def failed_stages(settings: Settings) -> dict[str, int]:
    with wiring.ledger(settings).engine.connect() as conn:
        rows = conn.execute(text("select stage, count(*) from stage_runs where status = 'failed' group by stage"))
        return {stage: int(n) for stage, n in rows}


def assert_held(result: Soak, cycles: int) -> None:
    """The ledger promises held, and a cycle that failed did so on an injected (transient) venue fault only."""
    assert result.cycles == cycles
    assert not result.violations, "\n".join(result.violations[:50])
    assert all(f.startswith(("TransientVenueError", "RateLimited")) for f in result.failed), result.failed
    assert result.counts["failed_runs"] == len(result.failed)
    assert result.counts["orders"] > 0 and result.counts["fills"] > 0


@pytest.mark.timeout(240)
def test_a_short_soak_under_faults_keeps_every_ledger_promise(tmp_path: Path) -> None:
    result = soak(tmp_path / "state", 6, gx=False)
    assert_held(result, 6)


@pytest.fixture(scope="module")
def long_soak(tmp_path_factory: pytest.TempPathFactory) -> Soak:
    return soak(tmp_path_factory.mktemp("soak") / "state", 200, gx=True)


@pytest.mark.slow
@pytest.mark.timeout(5_400)
def test_two_hundred_cycles_under_faults_keep_every_ledger_promise(long_soak: Soak) -> None:
    assert_held(long_soak, 200)
    assert long_soak.quarantined > 0  # the bad candles were really offered
    assert long_soak.counts["timed_out"] > 0 and long_soak.counts["deferred"] > 0  # unknown outcomes and 429s met


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="size and manage read tickers/markets with no retry: one 429 fails the cycle "
                   "(measured: 70 of 200 cycles, 41 in size, 19 in manage, whose exits then wait a cycle)")  # fmt: skip
def test_a_single_transient_read_fails_almost_no_cycle(long_soak: Soak) -> None:
    assert len(long_soak.failed) <= long_soak.cycles // 20, long_soak.failed_stages


@pytest.mark.slow
@pytest.mark.xfail(
    strict=True,
    reason="measured: 624 -> 1833 MiB over 200 cycles with GX, 418 -> 1277 MiB over 60 without; cause not located",
)
def test_memory_stays_flat_over_two_hundred_cycles(long_soak: Soak) -> None:
    warm = long_soak.rss_mib[19]  # after the first cycles' imports, compiles and caches
    assert long_soak.rss_mib[-1] - warm < 150, [round(m) for m in long_soak.rss_mib[::20]]
