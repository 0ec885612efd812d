"""One trading cycle in-process, stage by stage as ``flows/trading_cycle.py`` sequences them, without Prefect.

The soak runs hundreds of cycles: a Prefect flow run costs an API round trip per task, so the stages are called
directly and Prefect's task policy is reproduced here (discover and fetch retried 3 times and evaluate once, on
transient errors only; execute and manage never). A cycle that still fails is recorded as the flow's ``on_failure``
hook does (``observe_failure``: the run is marked failed) and the next cycle goes on.

``faulty_gateways(plan)`` builds the cycle's venues as ``wiring.gateways`` does (paper brokers over the simulated
venues) with a ``FaultPlan`` on both the market data (``SimExchange``) and the paper wallet's trading side, seeded
per cycle so every cycle meets fresh draws.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from tradepipe import wiring
from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_exchange import FaultPlan, default_sim_venues
from tradepipe.adapters.venues.sim_market import stable_seed
from tradepipe.clock import SimClock
from tradepipe.config import Settings
from tradepipe.core import marketdata
from tradepipe.core.ports import VenueGateway
from tradepipe.errors import is_transient
from tradepipe.stages import discover, evaluate, execute, fetch, gate, manage, reconcile, report, size, start
from tradepipe.stages.observe import observe_failure

T = TypeVar("T")
RETRIES = {"discover": 3, "fetch": 3, "evaluate": 1}  # tasks/stages.py: retry_condition_fn=retry_transient

# The soak's faults: 5 % of calls time out, 2 % are rate-limited (429), 1 % of creates/cancels time out with an
# unknown outcome (half of them took effect); 1 % of candle pages come back empty and 2 % stale (bad candles).
SOAK_FAULTS = FaultPlan(
    timeout={"*": 0.05, "create_order": 0.01, "cancel_order": 0.01},
    rate_limit={"*": 0.02},
    empty_ohlcv=0.01,
    stale_ohlcv=0.02,
    applied_on_timeout=0.5,
)


@dataclass
class Outcome:
    """What one cycle did: its summary (None when it failed), retries spent and the failure, if any."""

    summary: dict[str, Any] | None
    retries: int = 0
    failure: str = ""
    rugged_pools: int = 0
    pool_symbols: set[str] = field(default_factory=set)


def faulty_gateways(plan: FaultPlan) -> Callable[[Settings, int], dict[str, VenueGateway]]:
    """A drop-in for ``wiring.gateways`` whose venues and paper wallets fail as ``plan`` draws (seeded per cycle)."""

    @lru_cache(maxsize=4)
    def gateways(settings: Settings, as_of_ms: int) -> dict[str, VenueGateway]:
        clock = SimClock(as_of_ms)
        faults = dataclasses.replace(plan, seed=stable_seed(settings.seed, as_of_ms) % 2**32)
        venues = default_sim_venues(settings.seed, clock, bad_data_every=settings.sim.bad_data_every, faults=faults)
        return {
            name: PaperBroker(
                venues[name],
                Path(settings.state_dir) / "paper" / f"{name}.json",
                clock,
                starting_cash={settings.paper.quote: settings.paper.starting_cash},
                realism=wiring.paper_realism(settings),
                faults=faults,
            )
            for name in settings.sim.venues
        }

    return gateways


def run_cycle(settings: Settings) -> Outcome:
    """One cycle; transient failures retried as the Prefect tasks are; a failing cycle is marked failed."""
    ctx = start.open_cycle(settings, f"run-{uuid.uuid4().hex[:12]}")
    out = Outcome(summary=None)

    def retried(stage: str, call: Callable[[], T]) -> T:
        for attempt in range(RETRIES.get(stage, 0) + 1):
            try:
                return call()
            except Exception as exc:
                if attempt == RETRIES.get(stage, 0) or not is_transient(exc):
                    raise
                out.retries += 1
        raise AssertionError("unreachable")

    try:
        try:  # as flows/trading_cycle.py: a failed entry path still runs manage, then fails the cycle
            universe = retried("discover", lambda: discover.discover(settings, ctx))
            out.rugged_pools = sum(p.rugged for p in universe.pools)
            out.pool_symbols = {p.symbol for p in universe.pools}
            fetched = retried("fetch", lambda: fetch.fetch(settings, ctx, universe.batches))
            checked = gate.gate(settings, ctx, fetched, pools=universe.pools)
            quality = checked.quality_factor()
            decisions = retried("evaluate", lambda: evaluate.evaluate(settings, ctx, checked.work, quality))
            sized = size.size(settings, ctx, decisions, quality, [path for path, _ in checked.work])
            entries = execute.execute(settings, ctx, sized)
        except Exception:
            manage.manage(settings, ctx)
            raise
        exits = manage.manage(settings, ctx)
        reconciliations = reconcile.reconcile(settings, ctx)
        summary = report.report(
            settings,
            ctx,
            universe_size=len(universe.entries),
            batches=len(universe.batches),
            cache_hits=sum(f.cache_hit for f in fetched),
            market_data=marketdata.summarize(fetched),
            gate=checked,
            signals=sum(d.direction.value == "long" for d in decisions),
            entries=entries,
            exits=exits,
            reconciliations=reconciliations,
        )
    except Exception as exc:
        out.failure = f"{type(exc).__name__}: {exc}"
        observe_failure(settings, out.failure)
        return out
    out.summary = summary.as_dict()
    return out
