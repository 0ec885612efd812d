"""Column types. ``Money`` is exact on every backend: NUMERIC on PostgreSQL, a decimal string on SQLite.

SQLite has no decimal type: SQLAlchemy's ``Numeric`` there round-trips through float and turns 24.7
into 24.699999999999999289. Storing the Decimal's text keeps the ledger exact.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Dialect, Numeric, String, TypeDecorator


class DecimalText(TypeDecorator[Decimal]):
    """A Decimal stored as its canonical string (SQLite)."""

    impl = String(64)
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return format(Decimal(value), "f")

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(value)


def money() -> Numeric[Decimal]:
    """A fresh Money column type: NUMERIC(38, 18), or ``DecimalText`` on SQLite."""
    return Numeric(38, 18, asdecimal=True).with_variant(DecimalText(), "sqlite")
