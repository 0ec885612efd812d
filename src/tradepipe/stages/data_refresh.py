"""Refresh the candle store: incremental history per listed (venue, symbol), through the cycle's source router.

Used by ``tradepipe data download`` (with a progress bar) and by the ``data-refresh`` flow. Only bars newer than
the stored ones are fetched; a fetch the breakers cut short counts as incomplete, never as an error. A corrupt
stored file is set aside by the store, its symbol quarantined in the ledger (check ``corrupt_file``) and re-fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from tradepipe import wiring
from tradepipe.clock import TIMEFRAME_MS, timeframe_ms
from tradepipe.config import Settings
from tradepipe.core.marketdata.fetch import candle_rows
from tradepipe.core.marketdata.router import SourceRouter
from tradepipe.core.ports import VenueGateway
from tradepipe.errors import ConfigurationError, CorruptData
from tradepipe.stages import market_sources


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh did: pairs visited, candles appended, incomplete pairs, per-source call stats."""

    pairs: int
    fetched: int
    incomplete: int
    end_ms: int
    timeframe: str
    sources: tuple[tuple[str, int, float, str], ...] = field(default=())  # (source, calls, error rate, state)
    corrupt: tuple[tuple[str, str, str], ...] = field(default=())  # (venue, symbol, reason): set aside, quarantined

    def as_dict(self) -> dict[str, object]:
        return {
            "pairs": self.pairs, "fetched": self.fetched, "incomplete": self.incomplete, "end_ms": self.end_ms,
            "timeframe": self.timeframe, "sources": [list(s) for s in self.sources],
            "corrupt": [list(c) for c in self.corrupt],
        }  # fmt: skip


def work_list(router: SourceRouter, venues: Sequence[str], symbols: Sequence[str] | None) -> list[tuple[str, str]]:
    """(venue, symbol) pairs to refresh: every listed symbol, or only the ones asked for."""
    return [(v, s) for v in venues for s in sorted(router.listed(v)) if not symbols or s in symbols]


def refresh(
    settings: Settings,
    *,
    gateways: Mapping[str, VenueGateway] | None = None,
    symbols: Sequence[str] | None = None,
    timeframe: str | None = None,
    bars: int = 1_000,
    end_ms: int | None = None,
    on_pair: Callable[[str, str, int], None] | None = None,
) -> RefreshReport:
    """Append up to ``bars`` bars back from ``end_ms`` (default: the first cycle's sim time) for every pair.

    ``on_pair(venue, symbol, total)`` is called before each pair (progress bars). No pair matching is a
    ``ConfigurationError`` naming ``symbols``.
    """
    tf = timeframe or settings.marketdata.timeframe
    if tf not in TIMEFRAME_MS:
        raise ConfigurationError(f"timeframe: {tf!r} is not a timeframe; allowed: {', '.join(TIMEFRAME_MS)}")
    end = wiring.first_as_of_ms(settings) if end_ms is None else end_ms
    gateways = gateways if gateways is not None else wiring.gateways(settings, end)
    router = market_sources.router(settings, gateways)
    cache = market_sources.window_cache(settings)
    work = work_list(router, list(gateways), symbols)
    if not work:
        raise ConfigurationError(f"symbols: no listed symbol matches {list(symbols or [])}")
    step = timeframe_ms(tf)
    start = end - end % step - bars * step
    fetched = incomplete = 0
    corrupt: list[tuple[str, str, str]] = []
    for venue, symbol in work:
        if on_pair is not None:
            on_pair(venue, symbol, len(work))
        for _ in range(2):  # a corrupt file is set aside by the store: the second pass re-fetches the hole
            try:
                last = cache.last_timestamp(venue, symbol, tf)
                since = start if last is None or last < start else last + step
                got = router.fetch_range(venue, symbol, tf, since, end)
                if got.rows:
                    fetched += cache.append(venue, symbol, tf, candle_rows(got.rows))
            except CorruptData as exc:
                corrupt.append((venue, symbol, str(exc)))
                continue
            incomplete += int(not got.complete)
            break
    if corrupt:  # the candles were bad: the gate releases the symbol after its clean cycles
        wiring.ledger(settings).quarantine("data-refresh", [(v, s, "corrupt_file", why) for v, s, why in corrupt])
    sources = tuple((s.source, s.calls, s.error_rate, s.state) for s in router.stats() if s.calls)
    return RefreshReport(len(work), fetched, incomplete, end, tf, sources, tuple(corrupt))
