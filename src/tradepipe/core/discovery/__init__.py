"""Stage 1: discover the tradable universe (filters, ranking, batches) and new DEX pools."""

from tradepipe.core.discovery.filters import FILTERS, UniverseFilter, register
from tradepipe.core.discovery.pools import PoolCandidate, PoolFeed, PoolWatcher
from tradepipe.core.discovery.universe import build_universe, collect_snapshots, snapshots_of

__all__ = [
    "FILTERS",
    "PoolCandidate",
    "PoolFeed",
    "PoolWatcher",
    "UniverseFilter",
    "build_universe",
    "collect_snapshots",
    "register",
    "snapshots_of",
]
