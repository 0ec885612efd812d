"""Frozen domain values: no I/O, no framework imports."""

from tradepipe.domain.market import Batch, DatasetRef, MarketRules, MarketSnapshot, Universe, UniverseEntry
from tradepipe.domain.money import to_decimal, to_float
from tradepipe.domain.orders import (
    Fill,
    IntentPurpose,
    Order,
    OrderIntent,
    OrderStatus,
    OrderType,
    Side,
)
from tradepipe.domain.portfolio import Balance, Position
from tradepipe.domain.quality import QualityIssue, QualityReport, Verdict
from tradepipe.domain.strategy import Decision, Denial, Direction, Signal

__all__ = [
    "Balance",
    "Batch",
    "DatasetRef",
    "Decision",
    "Denial",
    "Direction",
    "Fill",
    "IntentPurpose",
    "MarketRules",
    "MarketSnapshot",
    "Order",
    "OrderIntent",
    "OrderStatus",
    "OrderType",
    "Position",
    "QualityIssue",
    "QualityReport",
    "Side",
    "Signal",
    "Universe",
    "UniverseEntry",
    "Verdict",
    "to_decimal",
    "to_float",
]
