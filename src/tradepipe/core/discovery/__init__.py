"""Stage 1: discover the tradable universe."""

from tradepipe.core.discovery.universe import build_universe, collect_snapshots

__all__ = ["build_universe", "collect_snapshots"]
