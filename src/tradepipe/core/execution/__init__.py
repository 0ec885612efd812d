"""Stage 6: place orders idempotently and record what the venue did."""

from tradepipe.core.execution.placement import ExecutionReport, Journal, execute_intents, recover_unresolved

__all__ = ["ExecutionReport", "Journal", "execute_intents", "recover_unresolved"]
