"""Stage 2: fetch OHLCV into the candle store and pass small ``DatasetRef``s on."""

from tradepipe.core.marketdata.fetch import CANDLE_SCHEMA, CandleStore, FetchResult, fetch_batch

__all__ = ["CANDLE_SCHEMA", "CandleStore", "FetchResult", "fetch_batch"]
