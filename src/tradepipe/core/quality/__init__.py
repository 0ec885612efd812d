"""Stage 3: the data-quality gate. No candle reaches a strategy without passing it."""

from tradepipe.core.quality.checks import CHECK_WEIGHTS, assess_frame, missing_report

__all__ = ["CHECK_WEIGHTS", "assess_frame", "missing_report"]
