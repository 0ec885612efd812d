"""Stage 6: place orders idempotently through the order state machine and record every event.

The API other stages use: ``execute_intents`` (place: guarded, routed), ``recover_unresolved`` (look up what
earlier runs left open or unknown), ``cancel_all_open_orders`` / ``cancel_order`` (emergency stop, exits),
``trigger_emulated_stops``, ``swap`` (the DEX rapid executor); the ``Journal`` protocol (``journal.py``) is what
they need from the ledger; ``ExecutionPolicy`` carries the ``[execution]`` settings.
"""

from tradepipe.core.execution.dex import SwapPlan, swap
from tradepipe.core.execution.journal import Journal
from tradepipe.core.execution.pacing import ExecutionPolicy, Pacer
from tradepipe.core.execution.placement import execute_intents
from tradepipe.core.execution.recovery import (
    cancel_all_open_orders,
    cancel_order,
    recover_unresolved,
    trigger_emulated_stops,
)
from tradepipe.core.execution.report import ExecutionReport
from tradepipe.core.execution.states import TRANSITIONS, apply

__all__ = [
    "TRANSITIONS",
    "ExecutionPolicy",
    "ExecutionReport",
    "Journal",
    "Pacer",
    "SwapPlan",
    "apply",
    "cancel_all_open_orders",
    "cancel_order",
    "execute_intents",
    "recover_unresolved",
    "swap",
    "trigger_emulated_stops",
]
