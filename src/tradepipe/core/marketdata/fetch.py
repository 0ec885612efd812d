"""Fetch a batch's candles: incremental per source, routed with fallback, reconciled, written as one view.

For each (venue, symbol) of the batch the router orders the sources (the venue itself, then fallbacks listing
the symbol). Each source is synced incrementally — only candles newer than its stored last one are requested —
into the history store through the window cache. The first ``consensus.max_sources`` complete windows are
reconciled (``consensus.reconcile``); one complete window is used as is; if no source is complete, the freshest
partial window is passed on (the quality gate judges staleness) and a symbol with no candles at all is reported
missing. A stored file of a source that cannot be read (``CorruptData``: the store has set it aside) reports its
symbol corrupt, for the gate to quarantine; the batch goes on. The batch's candles are written once per sim time
as a view with per-candle provenance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import polars as pl

from tradepipe.clock import floor_to_bar, timeframe_ms
from tradepipe.core.marketdata.breaker import SourceStats
from tradepipe.core.marketdata.cache import WindowCache
from tradepipe.core.marketdata.consensus import ConsensusFinding, ConsensusPolicy, reconcile_many
from tradepipe.core.marketdata.router import SourceRouter
from tradepipe.core.marketdata.schema import CANDLE_SCHEMA, OHLCV_COLUMNS
from tradepipe.domain.market import Batch, DatasetRef, UniverseEntry
from tradepipe.errors import CorruptData, UnsafeName


class CandleStore(Protocol):
    def find(self, key: str) -> DatasetRef | None: ...

    def write(
        self,
        key: str,
        frame: pl.DataFrame,
        *,
        timeframe: str,
        batch_index: int,
        as_of_ms: int,
        provenance: pl.DataFrame | None = None,
    ) -> DatasetRef: ...


@dataclass(frozen=True, slots=True)
class FetchResult:
    ref: DatasetRef
    cache_hit: bool  # the whole batch view was already stored for this sim time
    missing: tuple[tuple[str, str, str], ...]  # (venue, symbol, reason)
    consensus: tuple[ConsensusFinding, ...] = ()
    fallbacks: tuple[tuple[str, str, str], ...] = ()  # (venue, symbol, source whose candles were used instead)
    cache_hits: int = 0  # (source, symbol) windows served from cache without a venue call
    cache_misses: int = 0
    rows_fetched: int = 0
    rows_cached: int = 0
    sources: tuple[SourceStats, ...] = ()  # every source's breaker and health after this batch
    corrupt: tuple[tuple[str, str, str], ...] = ()  # (venue, symbol, reason): a stored file was unreadable

    @property
    def consensus_disagreement(self) -> dict[tuple[str, str], int]:
        """Bars per (venue, symbol) on which the sources disagreed beyond the threshold: for the quality gate."""
        return {(f.venue, f.symbol): f.bars_disagreeing for f in self.consensus}


@dataclass(frozen=True, slots=True)
class Synced:
    source: str
    window: np.ndarray  # (n, 6): timestamp, open, high, low, close, volume
    complete: bool
    error: str


def summarize(results: Sequence[FetchResult]) -> dict[str, int]:
    """The fetch stage's counters for the cycle report: candle cache, fallbacks, consensus, missing."""
    return {
        "candle_cache_hits": sum(r.cache_hits for r in results),
        "candle_cache_misses": sum(r.cache_misses for r in results),
        "candles_fetched": sum(r.rows_fetched for r in results),
        "candles_cached": sum(r.rows_cached for r in results),
        "fallbacks": sum(len(r.fallbacks) for r in results),
        "consensus_disagreements": sum(f.bars_disagreeing for r in results for f in r.consensus),
        "missing": sum(len(r.missing) for r in results),
        "corrupt": sum(len(r.corrupt) for r in results),
        "open_circuits": sum(st.state != "closed" for st in results[-1].sources) if results else 0,
    }


def batch_key(batch: Batch, timeframe: str, bars: int, as_of_ms: int) -> str:
    text = "|".join(f"{e.venue}:{e.symbol}" for e in batch.entries) + f"|{timeframe}|{bars}|{as_of_ms}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def fetch_batch(
    batch: Batch,
    router: SourceRouter,
    store: CandleStore,
    cache: WindowCache,
    *,
    timeframe: str,
    bars: int,
    as_of_ms: int,
    consensus: ConsensusPolicy | None = None,
) -> FetchResult:
    """The last ``bars`` closed candles of every symbol in ``batch`` as of ``as_of_ms``; reuses a stored view."""
    key = batch_key(batch, timeframe, bars, as_of_ms)
    if (cached := store.find(key)) is not None:
        return FetchResult(cached, cache_hit=True, missing=())
    policy = consensus or ConsensusPolicy()
    before = (cache.counters.hits, cache.counters.misses, cache.counters.rows_fetched, cache.counters.rows_cached)
    groups: list[tuple[tuple[str, str, str], dict[str, np.ndarray]]] = []
    missing: list[tuple[str, str, str]] = []
    corrupt: list[tuple[str, str, str]] = []
    for entry in batch.entries:
        try:
            got = _windows(entry, router, cache, timeframe=timeframe, bars=bars, as_of_ms=as_of_ms, policy=policy)
        except CorruptData as exc:  # one symbol's bad file: quarantine it, the batch goes on
            corrupt.append((entry.venue, entry.symbol, str(exc)))
            continue
        except UnsafeName as exc:  # a name the store refuses as a path (e.g. a venue's odd symbol): skip it
            missing.append((entry.venue, entry.symbol, str(exc)))
            continue
        if isinstance(got, str):
            missing.append((entry.venue, entry.symbol, got))
        else:
            primary = entry.venue if entry.venue in got else next(iter(got))
            groups.append(((entry.venue, entry.symbol, primary), got))
    frame, provenance, findings = reconcile_many(groups, policy)
    fallbacks = tuple(
        (venue, symbol, ",".join(sorted(windows))) for (venue, symbol, _), windows in groups if venue not in windows
    )
    ref = store.write(
        key,
        frame.cast(CANDLE_SCHEMA),  # type: ignore[arg-type]
        timeframe=timeframe,
        batch_index=batch.index,
        as_of_ms=as_of_ms,
        provenance=provenance,
    )
    c = cache.counters
    return FetchResult(
        ref,
        cache_hit=False,
        missing=tuple(missing),
        consensus=tuple(findings),
        fallbacks=fallbacks,
        cache_hits=c.hits - before[0],
        cache_misses=c.misses - before[1],
        rows_fetched=c.rows_fetched - before[2],
        rows_cached=c.rows_cached - before[3],
        sources=tuple(router.stats()),
        corrupt=tuple(corrupt),
    )


def _windows(
    entry: UniverseEntry,
    router: SourceRouter,
    cache: WindowCache,
    *,
    timeframe: str,
    bars: int,
    as_of_ms: int,
    policy: ConsensusPolicy,
) -> dict[str, np.ndarray] | str:
    """The windows (per source) to reconcile for one entry; or why it has none.

    Sources are synced in order until ``policy.max_sources`` are complete; with none complete, the freshest
    partial window stands in (the gate judges its staleness).
    """
    sources = router.sources_for(entry.symbol, entry.venue)
    if not sources:
        return "no source lists the symbol"
    want = max(1, min(policy.max_sources, len(sources)))
    complete: dict[str, np.ndarray] = {}
    partial: list[Synced] = []
    errors: list[str] = []
    for source in sources:
        synced = sync_window(router, cache, source, entry.symbol, timeframe, bars, as_of_ms)
        if synced.complete:
            complete[synced.source] = synced.window
        else:
            errors.append(f"{source}: {synced.error}")
            if len(synced.window):
                partial.append(synced)
        if len(complete) >= want:
            break
    if not complete and partial:
        freshest = max(partial, key=lambda s: float(s.window[-1, 0]))
        complete[freshest.source] = freshest.window
    return complete or "no candles from any source: " + "; ".join(errors)


def sync_window(
    router: SourceRouter, cache: WindowCache, source: str, symbol: str, timeframe: str, bars: int, as_of_ms: int
) -> Synced:
    """Bring one source's stored candles up to ``as_of_ms`` (only newer candles are fetched) and cut the window."""
    step = timeframe_ms(timeframe)
    last_closed = floor_to_bar(as_of_ms, timeframe) - step
    first = last_closed - (bars - 1) * step
    last = cache.last_timestamp(source, symbol, timeframe)
    # resume right after the stored candles (backfilling a gap of up to one window), else start the window
    due = first if last is None or last < first - bars * step else last + step
    error = ""
    if due > last_closed:
        cache.counters.hits += 1
    else:
        cache.counters.misses += 1
        got = router.fetch_range(source, symbol, timeframe, due, as_of_ms)
        if got.rows:
            cache.append(source, symbol, timeframe, np.asarray(got.rows, dtype=np.float64).reshape(-1, 6))
        error = got.error
    rows = cache.array(source, symbol, timeframe)
    window = rows[np.searchsorted(rows[:, 0], first, "left") : np.searchsorted(rows[:, 0], last_closed, "right")]
    fresh = int(np.count_nonzero(window[:, 0] >= due)) if due <= last_closed else 0
    cache.counters.rows_cached += len(window) - fresh
    complete = len(window) > 0 and int(window[-1, 0]) == last_closed
    return Synced(source, window, complete, error or ("" if complete else "stale: newest bar missing"))


def candle_rows(rows: list[list[float]]) -> pl.DataFrame:
    """OHLCV rows (ccxt's ``[ts, o, h, l, c, v]``) as a history frame."""
    columns = list(zip(*rows, strict=True))
    return pl.DataFrame(
        {
            "timestamp": [int(v) for v in columns[0]],
            **{
                name: [float(v) if v is not None else float("nan") for v in columns[i + 1]]
                for i, name in enumerate(OHLCV_COLUMNS[1:])
            },
        },
        schema={k: CANDLE_SCHEMA[k] for k in OHLCV_COLUMNS},
    )


def candle_frame(venue: str, symbol: str, rows: list[list[float]]) -> pl.DataFrame:
    """OHLCV rows labelled with venue and symbol, in ``CANDLE_SCHEMA``."""
    frame = candle_rows(rows)
    return frame.select(pl.lit(venue).alias("venue"), pl.lit(symbol).alias("symbol"), *OHLCV_COLUMNS)
