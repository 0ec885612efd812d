"""What stage 5 reads besides marks: protection locks (evaluated and persisted here), open buys, returns."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np
import polars as pl

from tradepipe import wiring
from tradepipe.adapters.storage.protections import ProtectionStore
from tradepipe.config import Settings
from tradepipe.core.risk import history, protections
from tradepipe.core.risk.correlation import ReturnPanel
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.risk import PortfolioState


def protection_store(settings: Settings) -> ProtectionStore:
    return ProtectionStore(wiring.ledger(settings).engine)


def with_protections(settings: Settings, ctx: CycleContext, state: PortfolioState) -> PortfolioState:
    """Evaluate the enabled protections at the cycle's time, persist new locks, and return the state with them."""
    store = protection_store(settings)
    now = ctx.as_of_ms
    marks = [*store.equity_marks(), (now, state.equity)]
    active = store.active_locks(now)
    new = protections.evaluate(
        protections.build(settings.protections), history.history(store.exit_history(), marks), now, active
    )
    store.add_locks(new, run_id=ctx.run_id)
    return dataclasses.replace(
        state,
        locks=tuple(store.active_locks(now)),
        reserved=store.reserved_cash(),
        day_start_equity=history.day_start_equity(marks, now),
        as_of_ms=now,
    )


def load_returns(paths: Iterable[str], keys: Iterable[tuple[str, str]], window: int) -> ReturnPanel:
    """Close-to-close log returns of ``keys`` over the last ``window`` bars of the gated datasets."""
    wanted = set(keys)
    frames = []
    for path in dict.fromkeys(paths):
        try:
            frame = pl.read_parquet(path, columns=["venue", "symbol", "timestamp", "close"])
        except (OSError, pl.exceptions.PolarsError):
            continue  # the gate already judged this file; correlation then falls back to no data
        frames.append(frame)
    if not frames or not wanted:
        return ReturnPanel.empty()
    candles = pl.concat(frames).with_columns(pl.col("close").fill_nan(None))
    key = pl.concat_str([pl.col("venue"), pl.col("symbol")], separator="\x1f")
    candles = candles.filter(key.is_in([f"{v}\x1f{s}" for v, s in sorted(wanted)]))
    if candles.is_empty():
        return ReturnPanel.empty()
    stamps = candles["timestamp"].unique().sort().tail(window + 1)
    recent = candles.filter(pl.col("timestamp").is_in(stamps.implode()))
    order: Sequence[tuple[str, str]] = sorted({(v, s) for v, s in recent.select("venue", "symbol").iter_rows()})
    index = {k: i for i, k in enumerate(order)}
    column = {ts: j for j, ts in enumerate(stamps.to_list())}
    closes = np.full((len(order), len(column)), np.nan)
    for venue, symbol, ts, close in recent.select("venue", "symbol", "timestamp", "close").iter_rows():
        if close is not None:
            closes[index[(venue, symbol)], column[ts]] = close
    return ReturnPanel.from_closes(order, closes)
