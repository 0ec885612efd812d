"""Builds the adapters a cycle needs from ``Settings``: the ledger, the candle store and the venues.

Paper vs live is a choice of adapter made here, never an ``if dry_run`` branch in the stages.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine

from tradepipe.adapters.files import safe_path_component
from tradepipe.adapters.quality.runner import GxRunner
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.storage.database import make_engine, migrate
from tradepipe.adapters.storage.ledger import Ledger
from tradepipe.adapters.storage.operations import OperationsStore
from tradepipe.adapters.storage.quality import QualityStore
from tradepipe.adapters.venues.paper_broker import PaperBroker
from tradepipe.adapters.venues.sim_account import Realism
from tradepipe.adapters.venues.sim_exchange import FaultPlan, default_sim_venues
from tradepipe.clock import SimClock, timeframe_ms
from tradepipe.config import Settings
from tradepipe.core.ports import VenueGateway
from tradepipe.errors import ConfigurationError

SIM_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z, the sim market's first bar
WARMUP_BARS = 600  # bars of history the first cycle can see


@lru_cache(maxsize=8)
def _engine(url: str) -> Engine:
    return make_engine(url)


def ledger(settings: Settings, *, migrated: bool = True) -> Ledger:
    """The ledger for ``settings``; the schema is migrated to the newest revision on first use."""
    engine = _engine(settings.ledger_url)
    if migrated:
        _migrated(settings.ledger_url)
    return Ledger(engine, account=settings.mode, cost_method=settings.positions.cost_method)


@lru_cache(maxsize=8)
def _migrated(url: str) -> str:
    return migrate(_engine(url))


def operations(settings: Settings) -> OperationsStore:
    """Per-run metrics and alerts, on the ledger's engine (migrated first)."""
    ledger(settings)
    return OperationsStore(_engine(settings.ledger_url))


def store(settings: Settings) -> ParquetCandleStore:
    return ParquetCandleStore(Path(settings.state_dir) / "candles")


def quality_store(settings: Settings) -> QualityStore:
    """Gate runs and quality reports, on the ledger's engine (migrated first)."""
    ledger(settings)
    return QualityStore(_engine(settings.ledger_url))


@lru_cache(maxsize=4)
def gx_runner(settings: Settings) -> GxRunner:
    """The Great Expectations project in ``state_dir/quality`` (one per process: GX setup is costly)."""
    return GxRunner(Path(settings.state_dir).resolve() / "quality", keep_runs=settings.quality.gx_keep_runs)


def first_as_of_ms(settings: Settings) -> int:
    """The sim time of the very first cycle: enough closed bars for the configured history."""
    bars = max(WARMUP_BARS, settings.marketdata.history_bars + 10)
    return SIM_START_MS + bars * timeframe_ms(settings.marketdata.timeframe)


@lru_cache(maxsize=4)
def gateways(settings: Settings, as_of_ms: int) -> dict[str, VenueGateway]:
    """One gateway per configured venue, as of the cycle's sim time: paper brokers over the simulator.

    Cached per (settings, sim time) so the stages of one cycle share one simulated market and one wallet object.
    """
    if settings.mode == "live":
        raise ConfigurationError("mode = 'live' needs a real venue adapter (CcxtGateway), not available yet")
    clock = SimClock(as_of_ms)
    drill = FaultPlan(seed=settings.seed, fail_first=dict(settings.sim.fail_first)) if settings.sim.fail_first else None
    venues = default_sim_venues(settings.seed, clock, bad_data_every=settings.sim.bad_data_every, faults=drill)
    unknown = sorted(set(settings.sim.venues) - set(venues))
    if unknown:
        raise ConfigurationError(f"sim.venues: unknown venue(s) {unknown}; allowed: {sorted(venues)}")
    wallet_dir = Path(settings.state_dir) / "paper"
    return {
        name: PaperBroker(
            venues[name],
            wallet_dir / f"{safe_path_component('sim.venues', name)}.json",
            clock,
            starting_cash={settings.paper.quote: settings.paper.starting_cash},
            realism=paper_realism(settings),
        )
        for name in settings.sim.venues
    }


def paper_realism(settings: Settings) -> Realism:
    """The ``[paper]`` fill realism (depth share, latency slippage, seeded rejects)."""
    p = settings.paper
    return Realism(
        depth_share=p.depth_share,
        latency_bps=p.latency_bps,
        reject_rate=p.reject_rate,
        seed=settings.seed,
        unique_client_ids=p.client_order_id_unique,
    )
