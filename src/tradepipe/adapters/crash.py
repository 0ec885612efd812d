"""Crash points for the crash harness: ``TRADEPIPE_CRASH_AT=<point>[:<n>]`` SIGKILLs the process the n-th time
(default the first) the named point is reached. Unset (always, outside the harness) it does nothing.

Points: ``journal.intent_committed``, ``journal.fill_inserted`` (inside the transaction), ``journal.before_commit``,
``journal.committed`` (ledger); ``venue.before_save``, ``venue.after_save`` (the simulated venue's account:
the order is taken but not yet persisted / persisted but not yet acknowledged to the caller).
"""

from __future__ import annotations

import os
import signal
from collections import Counter

ENV = "TRADEPIPE_CRASH_AT"
_reached: Counter[str] = Counter()  # per process; the only state, and only the harness sets ENV


def crash_point(name: str) -> None:
    """SIGKILL this process if ``TRADEPIPE_CRASH_AT`` names this point and this is its n-th time."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    _reached[name] += 1
    point, _, nth = spec.partition(":")
    if point == name and _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reached() -> dict[str, int]:
    """How often each point was reached in this process while ``TRADEPIPE_CRASH_AT`` was set (harness dry runs)."""
    return dict(_reached)
