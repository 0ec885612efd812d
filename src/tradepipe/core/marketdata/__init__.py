"""Stage 2: fetch OHLCV into the candle store and pass small ``DatasetRef``s on.

Sources are routed with circuit breakers and fallback (``router``), synced incrementally through an in-memory
window cache over the on-disk history (``cache``), reconciled across sources (``consensus``), and each batch is
written once per sim time as a view (``fetch``).
"""

from tradepipe.core.marketdata.breaker import BreakerState, CircuitBreaker, SourceStats
from tradepipe.core.marketdata.cache import CacheCounters, WindowCache, ttl_ms
from tradepipe.core.marketdata.consensus import ConsensusFinding, ConsensusPolicy, reconcile
from tradepipe.core.marketdata.fetch import (
    CANDLE_SCHEMA,
    CandleStore,
    FetchResult,
    candle_frame,
    fetch_batch,
    summarize,
)
from tradepipe.core.marketdata.router import RetryPolicy, SourceRouter, SourceUnavailable

__all__ = [
    "CANDLE_SCHEMA",
    "BreakerState",
    "CacheCounters",
    "CandleStore",
    "CircuitBreaker",
    "ConsensusFinding",
    "ConsensusPolicy",
    "FetchResult",
    "RetryPolicy",
    "SourceRouter",
    "SourceStats",
    "SourceUnavailable",
    "WindowCache",
    "candle_frame",
    "fetch_batch",
    "reconcile",
    "summarize",
    "ttl_ms",
]
