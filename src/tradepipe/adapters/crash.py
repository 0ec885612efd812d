"""Crash points for the crash harness and the kill gauntlet: ``TRADEPIPE_CRASH_AT=<point>[:<n>]`` SIGKILLs the
process the n-th time (default the first) the named point is reached. Unset (always, outside the harnesses) it does
nothing. ``TRADEPIPE_CRASH_AT=count`` only counts (``reached()``); ``count=<path>`` also writes the counts to
``<path>`` as JSON when the process exits (a dry run of a whole ``tradepipe run``).

Points: ``journal.intent_committed``, ``journal.fill_inserted`` (inside the transaction), ``journal.before_commit``,
``journal.committed`` (ledger); ``venue.before_save``, ``venue.after_save`` (the simulated venue's account:
the order is taken but not yet persisted / persisted but not yet acknowledged to the caller);
``stage.<name>.done`` (a stage's work is done, its ``stage_runs`` row not yet written; every timed stage);
``report.before_finish`` (the run not yet marked completed); ``file.written`` / ``file.replaced`` (an atomic file
replacement: paper wallet, candle views and metadata, caches) and ``candles.before_replace`` /
``candles.replaced`` (a candle-store history part).
"""

from __future__ import annotations

import atexit
import json
import os
import signal
from collections import Counter
from pathlib import Path

ENV = "TRADEPIPE_CRASH_AT"
_reached: Counter[str] = Counter()  # per process; the only state, and only the harness sets ENV


def crash_point(name: str) -> None:
    """SIGKILL this process if ``TRADEPIPE_CRASH_AT`` names this point and this is its n-th time."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    if not _reached and spec.startswith("count="):
        atexit.register(_write_counts, Path(spec.removeprefix("count=")))
    _reached[name] += 1
    point, _, nth = spec.partition(":")
    if point == name and _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def reached() -> dict[str, int]:
    """How often each point was reached in this process while ``TRADEPIPE_CRASH_AT`` was set (harness dry runs)."""
    return dict(_reached)


def _write_counts(path: Path) -> None:
    path.write_text(json.dumps(reached(), sort_keys=True))
