"""Position updates for 1,000 open positions: mark-to-market plus every exit rule, per new mark.

One *update* is one position seeing one new mark: its value and unrealised P&L, its high-water mark, its
trailing / break-even stop and every configured trigger (stop, target, trailing, ladder, time). Measured on the
same random price paths:

* ``positions.updates_per_min`` — the vectorised book (``core.positions.rules.plan`` over NumPy columns);
* ``positions.updates_per_min.stage_path`` — what stage 7 does per cycle: Decimal positions in, the book built,
  rules run, sell intents and moved state back out as Decimals (``plan_exits``), the moved state carried into the
  next cycle as the ledger would (exits are planned, not filled: positions stay open);
* ``positions.updates_per_min.python_loop`` — the peer: the same rules as a per-position Python loop;
* ``positions.fills_per_s`` — ``apply_fill`` (Decimal, 60 digits) replaying fills, as ``rebuild_positions`` does.

The minimum time of several repeats counts (a shared 2-core machine is noisy).
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import numpy as np

from bench.records import record
from tradepipe.config.sections import ExitsSection
from tradepipe.core.positions.book import PositionBook
from tradepipe.core.positions.exits import plan_exits
from tradepipe.core.positions.rules import build_rules, plan
from tradepipe.core.reconcile import rebuild_positions
from tradepipe.domain.orders import Fill, Side
from tradepipe.domain.portfolio import Position

N_POSITIONS = 1_000
RULES = ExitsSection(rules=("stop_loss", "take_profit", "trailing_stop", "break_even", "ladder", "time_exit"))
HOUR = 3_600_000


def _positions(rng: np.random.Generator) -> list[Position]:
    entry = rng.uniform(0.5, 500.0, N_POSITIONS)
    amount = rng.uniform(0.1, 100.0, N_POSITIONS)
    return [
        Position(
            "sim-alpha", f"S{i}/USDT", Decimal(f"{a:.6f}"), Decimal(f"{e:.6f}"), Decimal(f"{e * 0.95:.6f}"),
            Decimal(f"{e * 1.5:.6f}"), 0, cost_basis=Decimal(f"{a * e:.6f}"), entry_amount=Decimal(f"{a:.6f}"),
        )
        for i, (a, e) in enumerate(zip(amount, entry, strict=True))
    ]  # fmt: skip


def _paths(rng: np.random.Generator, entry: np.ndarray, ticks: int) -> np.ndarray:
    steps = rng.normal(0.0, 0.004, (ticks, len(entry)))
    return entry[None, :] * np.exp(np.cumsum(steps, axis=0))


def _best(fn: Any, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def _vectorised(positions: list[Position], paths: np.ndarray) -> None:
    rules = build_rules(RULES)
    book = PositionBook.from_positions(positions)
    for t, mark in enumerate(paths):
        book.mark_to_market(mark)
        plan(book, mark, t * HOUR, rules)


def _stage_path(positions: list[Position], paths: np.ndarray) -> None:
    """Stage 7 cycle over cycle: Decimal marks in, plan, and the moved exit state carried into the next cycle."""
    rules = build_rules(RULES)
    index = {p.key: i for i, p in enumerate(positions)}
    positions = list(positions)
    for t, mark in enumerate(paths):
        marks = {p.key: Decimal(f"{m:.8g}") for p, m in zip(positions, mark.tolist(), strict=True)}
        for moved in plan_exits(positions, marks, run_id="bench", now_ms=t * HOUR, rules=rules).moved:
            positions[index[moved.key]] = moved


def _python_loop(positions: list[Position], paths: np.ndarray) -> None:
    """The same rules, one position at a time in plain Python floats (the peer)."""
    n = len(positions)
    entry = [float(p.average_price) for p in positions]
    amount = [float(p.amount) for p in positions]
    cost = [float(p.cost_basis) for p in positions]
    stop = [float(p.stop_loss or 0) for p in positions]
    target = [float(p.take_profit or 0) for p in positions]
    high = [0.0] * n
    taken = [0] * n
    levels, fractions = RULES.ladder_levels_pct, RULES.ladder_fractions
    act, dist = RULES.trailing_activation_pct, RULES.trailing_distance_pct
    be_trigger, be_offset = RULES.break_even_trigger_pct, RULES.break_even_offset_pct
    max_ms = RULES.max_hold_hours * HOUR
    for t, row in enumerate(paths.tolist()):
        for i in range(n):
            m = row[i]
            _ = amount[i] * m - cost[i]  # mark to market
            high[i] = max(high[i], m)
            trail = high[i] * (1 - dist) if high[i] >= entry[i] * (1 + act) else 0.0
            even = entry[i] * (1 + be_offset) if high[i] >= entry[i] * (1 + be_trigger) else 0.0
            stop[i] = max(stop[i], trail, even)
            fraction = 1.0 if m <= stop[i] or m >= target[i] or t * HOUR >= max_ms else 0.0
            share = 0.0
            for k, level in enumerate(levels):
                if m >= entry[i] * (1 + level):
                    if k >= taken[i]:
                        share += fractions[k]
                    taken[i] = max(taken[i], k + 1)
            fraction = max(fraction, min(1.0, share))


def _fills(count: int) -> list[Fill]:
    rng = np.random.default_rng(11)
    fills, held = [], 0.0
    for n in range(count):
        price = Decimal(f"{rng.uniform(90, 110):.2f}")
        if held > 1 and rng.random() < 0.5:
            side, amount = Side.SELL, Decimal(f"{held * rng.uniform(0.1, 0.9):.6f}")
            held -= float(amount)
        else:
            side, amount = Side.BUY, Decimal(f"{rng.uniform(0.1, 5):.6f}")
            held += float(amount)
        fee = (amount * price * Decimal("0.001")).quantize(Decimal("1e-8"))
        fills.append(Fill("v", f"t{n}", "o", "c", "ABC/USDT", side, amount, price, fee, "USDT", n))
    return fills


def run(quick: bool) -> list[dict[str, Any]]:
    rng = np.random.default_rng(2026)
    positions = _positions(rng)
    entry = np.array([float(p.average_price) for p in positions])
    ticks = {"vector": 100 if quick else 2_000, "stage": 3 if quick else 20, "loop": 3 if quick else 20}
    repeats = 1 if quick else 3
    paths = _paths(rng, entry, ticks["vector"])
    _vectorised(positions, paths[:2])  # warm up
    records = []
    for name, fn, n_ticks in (
        ("positions.updates_per_min", _vectorised, ticks["vector"]),
        ("positions.updates_per_min.stage_path", _stage_path, ticks["stage"]),
        ("positions.updates_per_min.python_loop", _python_loop, ticks["loop"]),
    ):
        seconds = _best(lambda fn=fn, n_ticks=n_ticks: fn(positions, paths[:n_ticks]), repeats)
        updates = n_ticks * N_POSITIONS
        params = {"positions": N_POSITIONS, "ticks": n_ticks, "rules": list(RULES.rules)}
        records.append(record(name, updates / seconds * 60, "updates/min", True, **params))
    vector, loop = records[0]["value"], records[2]["value"]
    records.append(record("positions.speedup_vs_python_loop", vector / loop, "x", True, positions=N_POSITIONS))
    fills = _fills(500 if quick else 10_000)
    seconds = _best(lambda: rebuild_positions(fills), repeats)
    records.append(record("positions.fills_per_s", len(fills) / seconds, "fills/s", True, fills=len(fills)))
    return records
