"""The one place where float64 analytics meet Decimal money at the ledger boundary."""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal, localcontext

ZERO = Decimal(0)
LEDGER_PLACES = 18  # the ledger's NUMERIC(38, 18): every stored amount is rounded here, identically on all backends
LEDGER_QUANTUM = Decimal(1).scaleb(-LEDGER_PLACES)


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


def ledger_round(value: Decimal) -> Decimal:
    """Round to the ledger's 18 decimal places (half-even), with enough precision for 20 integer digits."""
    with localcontext() as ctx:
        ctx.prec = 60
        return value.quantize(LEDGER_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()


def ledger_sum(*values: Decimal) -> Decimal:
    """Add ledger amounts without the default 28-digit context rounding away cents of a large balance."""
    with localcontext() as ctx:
        ctx.prec = 60
        return ledger_round(sum(values, ZERO))
