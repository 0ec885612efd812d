"""Datasets as the pandas frames the GX suites validate (GX 1.x validates pandas; convert once per run)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import polars as pl

from tradepipe.adapters.quality.suites import BOOK_COLUMNS, POOL_COLUMNS
from tradepipe.domain.pools import PoolFacts


def ohlcv_frame(frame: pl.DataFrame) -> pd.DataFrame:
    """A candle batch (venue and symbol as columns) as one pandas frame."""
    return frame.to_pandas()


def order_book_frame(books: Mapping[tuple[str, str], Mapping[str, Any]]) -> pd.DataFrame:
    """ccxt-shaped order books (``bids``/``asks`` as ``[price, amount]`` levels) keyed by (venue, symbol)."""
    rows: list[dict[str, Any]] = []
    for (venue, symbol), book in books.items():
        bids, asks = list(book.get("bids") or []), list(book.get("asks") or [])
        best_bid = float(bids[0][0]) if bids else float("nan")
        best_ask = float(asks[0][0]) if asks else float("nan")
        for side, levels in (("bid", bids), ("ask", asks)):
            for level, entry in enumerate(levels):
                rows.append(
                    {
                        "venue": venue,
                        "symbol": symbol,
                        "side": side,
                        "level": level,
                        "price": float(entry[0]),
                        "amount": float(entry[1]),
                        "timestamp": book.get("timestamp"),
                        "best_bid": best_bid,
                        "best_ask": best_ask,
                    }
                )
    return pd.DataFrame(rows, columns=list(BOOK_COLUMNS))


def pool_facts_frame(pools: Iterable[PoolFacts]) -> pd.DataFrame:
    """One row per pool: the reported facts plus the derived price and liquidity."""
    rows = [
        {
            "venue": p.venue,
            "symbol": p.symbol,
            "pool_id": p.pool_id,
            "base_reserve": p.base_reserve,
            "quote_reserve": p.quote_reserve,
            "fee_bps": p.fee_bps,
            "created_at_ms": p.created_at_ms,
            "observed_at_ms": p.observed_at_ms,
            "top10_holder_pct": p.top10_holder_pct,
            "price": p.price,
            "liquidity_quote": p.liquidity_quote,
        }
        for p in pools
    ]
    return pd.DataFrame(rows, columns=list(POOL_COLUMNS))
