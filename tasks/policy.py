"""Retry policy shared by the tasks: only transient errors are worth another attempt."""

from __future__ import annotations

from typing import Any

from tradepipe.errors import is_transient


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry when the failure is a ``TransientError``, never otherwise."""
    try:
        exc = state.result(raise_on_failure=False)
    except Exception:
        return False
    return isinstance(exc, BaseException) and is_transient(exc)
