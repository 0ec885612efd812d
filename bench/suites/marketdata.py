"""Market data: fetch throughput (cold and warm cache), cache hit rate over 10 cycles, store size per candle.

All on the default simulated venues (sim-alpha, sim-beta; consensus over 2 sources where both list a symbol), with
the default settings (1h bars, 300-bar windows), in this process, without Prefect or the ledger: the fetch stage's
own work (routing, incremental sync, consensus, view + provenance writes).

* ``fetch.symbols_per_min.cold``: the first fetch on an empty store and empty memory (every window paged from
  the venues). Peer in the same run: none needed — cold *is* the full-window fetch.
* ``fetch.symbols_per_min.warm``: the next sim bars in the same process (one new bar per source window), minimum
  time over the warm cycles; ``speedup_vs_cold`` is the ratio to the cold fetch of the same universe.
* ``cache.hit_rate.10_cycles``: over 10 consecutive cycles from cold, candles served from the cache (memory or
  disk) over all candles the fetch stage delivered; window-level hits/misses in the params.
* ``store.bytes_per_million_candles``: parquet bytes of the history partitions over their candle rows after those
  cycles (steady state, parts not yet compacted included); ``compacted`` in the params after compacting.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench.records import record
from tradepipe import wiring
from tradepipe.clock import timeframe_ms
from tradepipe.config import Settings
from tradepipe.core import discovery, marketdata
from tradepipe.stages import market_sources

CYCLES = 10


def _cycle(
    settings: Settings, as_of: int, batches: tuple[Any, ...]
) -> tuple[float, float, list[marketdata.FetchResult]]:
    """(fetch seconds, sim generation seconds, results): the simulator's bars are generated before the timer."""
    gateways = wiring.gateways(settings, as_of)
    generating = time.perf_counter()
    for gateway in gateways.values():
        venue = getattr(gateway, "venue", gateway)  # a paper broker quotes its sim venue
        for batch in batches:
            for entry in batch.entries:
                if entry.symbol in venue.market.symbols():
                    venue.market.candles(entry.symbol)
    generation = time.perf_counter() - generating
    router = market_sources.router(settings, gateways)
    store, cache = wiring.store(settings), market_sources.window_cache(settings)
    policy = market_sources.consensus_policy(settings)
    md = settings.marketdata
    started = time.perf_counter()
    results = [
        marketdata.fetch_batch(
            b, router, store, cache, timeframe=md.timeframe, bars=md.history_bars, as_of_ms=as_of, consensus=policy
        )
        for b in batches
    ]
    return time.perf_counter() - started, generation, results


def run(quick: bool) -> list[dict[str, Any]]:
    symbols = 20 if quick else 100
    cycles = 3 if quick else CYCLES
    with tempfile.TemporaryDirectory(prefix="bench-marketdata-") as tmp:
        settings = Settings(state_dir=Path(tmp), discovery={"max_symbols": symbols})
        first = wiring.first_as_of_ms(settings)
        step = timeframe_ms(settings.marketdata.timeframe)
        universe = discovery.build_universe(
            discovery.collect_snapshots(wiring.gateways(settings, first)), settings.discovery, as_of_ms=first
        )
        n = len(universe.entries)
        timings: list[float] = []
        generation: list[float] = []
        totals = {"cached": 0, "fetched": 0, "hits": 0, "misses": 0}
        for i in range(cycles):
            seconds, generated, results = _cycle(settings, first + i * step, universe.batches)
            timings.append(seconds)
            generation.append(generated)
            summary = marketdata.summarize(results)
            totals["cached"] += summary["candles_cached"]
            totals["fetched"] += summary["candles_fetched"]
            totals["hits"] += summary["candle_cache_hits"]
            totals["misses"] += summary["candle_cache_misses"]
        store = wiring.store(settings)
        steady = store.history_stats()
        for directory in (store.root / "history").glob("*/*/*"):
            store.compact(directory.parts[-3], directory.parts[-2].replace("-", "/", 1), directory.parts[-1])
        compacted = store.history_stats()
    cold, warm = timings[0], min(timings[1:])
    base = {"symbols": n, "bars": settings.marketdata.history_bars, "timeframe": settings.marketdata.timeframe}
    served = totals["cached"] + totals["fetched"]
    return [
        record(
            "fetch.symbols_per_min.cold",
            n / cold * 60.0,
            "symbols/min",
            True,
            **base,
            fetch_s=round(cold, 4),
            consensus_sources=settings.marketdata.consensus_sources,
            sim_generation_s=round(generation[0], 4),
            note="empty store and memory: every source window paged from the sim venues, reconciled and written; "
            "the simulator's bar generation (a new sim market per sim time) is excluded, see sim_generation_s",
        ),
        record(
            "fetch.symbols_per_min.warm",
            n / warm * 60.0,
            "symbols/min",
            True,
            **base,
            fetch_s=round(warm, 4),
            all_s=[round(t, 4) for t in timings[1:]],
            speedup_vs_cold=round(cold / warm, 2),
            sim_generation_s=round(min(generation[1:]), 4),
            goal=10_000,
            note="next sim bar, same process: one new bar per source window (incremental), minimum over cycles",
        ),
        record(
            f"cache.hit_rate.{CYCLES}_cycles",
            totals["cached"] / served,
            "ratio",
            True,
            **base,
            cycles=cycles,
            candles_cached=totals["cached"],
            candles_fetched=totals["fetched"],
            window_hits=totals["hits"],
            window_misses=totals["misses"],
            note="candles the fetch stage served from cache (memory/disk) over all it delivered, from a cold start; "
            "one cycle per sim bar, so every window needs its newest bar (a window hit only when a cycle repeats "
            "within a bar or another entry already synced the source)",
        ),
        record(
            "store.bytes_per_million_candles",
            steady["bytes"] / steady["rows"] * 1e6,
            "bytes",
            False,
            **base,
            cycles=cycles,
            files=steady["files"],
            rows=steady["rows"],
            bytes=steady["bytes"],
            compacted=round(compacted["bytes"] / compacted["rows"] * 1e6),
            compacted_files=compacted["files"],
            note="history partitions (zstd parquet, one part per append) after the cycles; compacted = one file each",
        ),
    ]
