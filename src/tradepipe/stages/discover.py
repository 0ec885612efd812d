"""Stage 1: discover the tradable universe from every venue."""

from __future__ import annotations

from tradepipe import wiring
from tradepipe.config import Settings
from tradepipe.core import discovery
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import Universe
from tradepipe.stages.timing import timed_stage


def discover(settings: Settings, ctx: CycleContext, max_symbols: int | None = None) -> Universe:
    with timed_stage(settings, ctx, "discover"):
        snapshots = discovery.collect_snapshots(wiring.gateways(settings, ctx.as_of_ms))
        return discovery.build_universe(snapshots, settings.discovery, as_of_ms=ctx.as_of_ms, max_symbols=max_symbols)
