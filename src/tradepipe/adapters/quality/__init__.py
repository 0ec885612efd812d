"""Great Expectations adapter (suites, checkpoints, Data Docs) and the offline HTML quality report."""

from tradepipe.adapters.quality.frames import ohlcv_frame, order_book_frame, pool_facts_frame
from tradepipe.adapters.quality.runner import GxRunner
from tradepipe.adapters.quality.suites import SUITES

__all__ = ["SUITES", "GxRunner", "ohlcv_frame", "order_book_frame", "pool_facts_frame"]
