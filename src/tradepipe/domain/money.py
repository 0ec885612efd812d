"""The one place where float64 analytics meet Decimal money at the ledger boundary."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

ZERO = Decimal(0)


def to_decimal(value: float | int | str | Decimal, quantum: Decimal | None = None) -> Decimal:
    """Convert an analytics float to Decimal via its shortest repr; round down to ``quantum`` if given."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        raise ValueError(f"cannot convert non-finite {value!r} to money")
    result = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float) else value)
    if quantum is not None:
        result = result.quantize(quantum, rounding=ROUND_DOWN)
    return result


def to_float(value: Decimal | float | int) -> float:
    """Convert ledger money back to float64 for analytics."""
    return float(value)


def round_down_to_step(value: Decimal, step: Decimal) -> Decimal:
    """The largest multiple of ``step`` not above ``value`` (for value ≥ 0): lot sizes and tick sizes."""
    if step <= 0:
        raise ValueError(f"step must be positive, got {step}")
    return (value // step) * step
