"""Benchmark suites beside the cycle benchmark: every module here with a ``run(quick: bool) -> list[record]``.

``bench.run`` discovers the modules by name (sorted), runs each in this process after the cycle worker and adds
their records. A suite measures peers in the same run on the same data, and keeps its full mode to a minute or two
on 2 cores; ``quick`` is the smoke mode the tests use (shape only, never a speed).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

Suite = Callable[[bool], list[dict[str, Any]]]


def discover() -> dict[str, Suite]:
    """Suite name → its ``run`` function, for every module in this package."""
    suites: dict[str, Suite] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        run = getattr(module, "run", None)
        if callable(run):
            suites[info.name] = run
    return suites
