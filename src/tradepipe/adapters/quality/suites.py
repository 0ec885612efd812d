"""The Great Expectations suites, one per dataset kind, as plain data (built into GX objects lazily).

Each ``Spec`` names a GX 1.x expectation class (``great_expectations.expectations.<type_name>``), its
arguments, what it looks at and which polars check it mirrors. Every frame carries ``venue`` and ``symbol``
columns so a failed row is traced back to its symbol.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FINITE_MAX = 1e300  # "≤ this" fails ±inf (NaN is caught by the not-null expectations)
OHLCV_COLUMNS = ("venue", "symbol", "timestamp", "open", "high", "low", "close", "volume")
PRICES = ("open", "high", "low", "close")
BOOK_COLUMNS = ("venue", "symbol", "side", "level", "price", "amount", "timestamp", "best_bid", "best_ask")
POOL_COLUMNS = (
    "venue",
    "symbol",
    "pool_id",
    "base_reserve",
    "quote_reserve",
    "fee_bps",
    "created_at_ms",
    "observed_at_ms",
    "top10_holder_pct",
    "price",
    "liquidity_quote",
)
INDEX_COLUMNS = ["venue", "symbol"]  # reported with every failed row


@dataclass(frozen=True, slots=True)
class Spec:
    type_name: str
    kwargs: Mapping[str, Any]
    target: str
    mirrors: str
    table_level: bool = False
    meta: Mapping[str, Any] = field(default_factory=dict)


def _not_null(columns: tuple[str, ...]) -> list[Spec]:
    return [Spec("ExpectColumnValuesToNotBeNull", {"column": c}, c, "nan_values") for c in columns]


def _finite(columns: tuple[str, ...]) -> list[Spec]:
    between = "ExpectColumnValuesToBeBetween"
    return [Spec(between, {"column": c, "max_value": FINITE_MAX}, f"{c} finite", "nan_values") for c in columns]


def _positive(columns: tuple[str, ...], mirrors: str) -> list[Spec]:
    return [
        Spec("ExpectColumnValuesToBeBetween", {"column": c, "min_value": 0, "strict_min": True}, f"{c} > 0", mirrors)
        for c in columns
    ]


def _at_least(a: str, b: str, mirrors: str, *, strict: bool = False) -> Spec:
    kwargs = {"column_A": a, "column_B": b, "or_equal": not strict}
    return Spec("ExpectColumnPairValuesAToBeGreaterThanB", kwargs, f"{a} {'>' if strict else '≥'} {b}", mirrors)


def _columns(columns: tuple[str, ...]) -> list[Spec]:
    return [
        Spec(
            "ExpectTableColumnsToMatchSet",
            {"column_set": list(columns), "exact_match": False},
            "columns",
            "corrupt_file",
            table_level=True,
        ),
        Spec("ExpectTableRowCountToBeBetween", {"min_value": 1}, "rows", "missing_data", table_level=True),
    ]


OHLCV: tuple[Spec, ...] = (
    *_columns(OHLCV_COLUMNS),
    *_not_null(("timestamp", *PRICES, "volume")),
    *_finite((*PRICES, "volume")),
    *_positive(PRICES, "non_positive_price"),
    Spec("ExpectColumnValuesToBeBetween", {"column": "volume", "min_value": 0}, "volume ≥ 0", "negative_volume"),
    _at_least("high", "low", "ohlc_inconsistent"),
    _at_least("high", "open", "ohlc_inconsistent"),
    _at_least("high", "close", "ohlc_inconsistent"),
    _at_least("open", "low", "ohlc_inconsistent"),
    _at_least("close", "low", "ohlc_inconsistent"),
    Spec(
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": ["venue", "symbol", "timestamp"]},
        "venue, symbol, timestamp",
        "duplicate_or_unordered",
    ),
)

ORDER_BOOK: tuple[Spec, ...] = (
    *_columns(BOOK_COLUMNS),
    *_not_null(("price", "amount", "timestamp")),
    *_finite(("price", "amount")),
    *_positive(("price", "amount"), "non-positive level"),
    Spec("ExpectColumnValuesToBeInSet", {"column": "side", "value_set": ["bid", "ask"]}, "side", "unknown side"),
    Spec(
        "ExpectCompoundColumnsToBeUnique",
        {"column_list": ["venue", "symbol", "side", "level"]},
        "venue, symbol, side, level",
        "duplicate level",
    ),
    _at_least("best_ask", "best_bid", "crossed book", strict=True),
)

POOL_FACTS: tuple[Spec, ...] = (
    *_columns(POOL_COLUMNS),
    *_not_null(("pool_id", "base_reserve", "quote_reserve", "fee_bps", "created_at_ms", "observed_at_ms")),
    *_finite(("base_reserve", "quote_reserve", "price", "liquidity_quote")),
    *_positive(("base_reserve", "quote_reserve", "price"), "empty or negative reserve"),
    Spec(
        "ExpectColumnValuesToBeBetween",
        {"column": "fee_bps", "min_value": 0, "max_value": 10_000},
        "0 ≤ fee_bps ≤ 10000",
        "fee out of range",
    ),
    Spec(
        "ExpectColumnValuesToBeBetween",
        {"column": "top10_holder_pct", "min_value": 0, "max_value": 100},
        "0 ≤ top10_holder_pct ≤ 100",
        "holder share out of range",
    ),
    _at_least("observed_at_ms", "created_at_ms", "observed before creation"),
    Spec("ExpectColumnValuesToBeUnique", {"column": "pool_id"}, "pool_id", "duplicate pool"),
)

SUITES: dict[str, tuple[Spec, ...]] = {"ohlcv": OHLCV, "order_book": ORDER_BOOK, "pool_facts": POOL_FACTS}
