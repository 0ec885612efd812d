"""One benchmark record in the shape of ``/work/shared/BENCH.md``."""

from __future__ import annotations

from typing import Any


def record(name: str, value: float, unit: str, higher_is_better: bool, **params: Any) -> dict[str, Any]:
    return {"name": name, "value": value, "unit": unit, "higher_is_better": higher_is_better, "params": params}
