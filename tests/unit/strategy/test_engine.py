"""The engine over batches: degradation per strategy and symbol, the evaluation cache, batch files."""

from __future__ import annotations

import os
import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from tests.unit.strategy.conftest import ohlcv_from_close, random_walk, write_batch
from tradepipe.adapters.compute import DirectoryCache
from tradepipe.core.strategy import (
    DEFAULT_SPEC,
    STRATEGIES,
    EngineSpec,
    EvaluationJob,
    MemoryCache,
    Router,
    SymbolCandles,
    evaluate_batch,
    evaluate_job,
    evaluate_symbols,
    register_strategy,
)
from tradepipe.core.strategy.features import SymbolView
from tradepipe.domain.strategy import Direction, Signal

CALLS: list[tuple[str, str]] = []  # (strategy, symbol) per call of the test strategies below


@dataclass(frozen=True, slots=True)
class Counting:
    """LONG with confidence ``level`` on every symbol; counts its calls."""

    name: ClassVar[str] = "counting_test"
    regimes: ClassVar[frozenset[str]] = frozenset()
    level: float = 0.6

    def evaluate(self, view: SymbolView) -> Signal:
        CALLS.append((self.name, view.symbol))
        return Signal(self.name, Direction.LONG, self.level, f"always long at {self.level}")


@dataclass(frozen=True, slots=True)
class Exploding:
    name: ClassVar[str] = "exploding_test"
    regimes: ClassVar[frozenset[str]] = frozenset()
    on: str = "BOOM/USDT"  # raises on this symbol only

    def evaluate(self, view: SymbolView) -> Signal:
        CALLS.append((self.name, view.symbol))
        if view.symbol == self.on:
            raise ZeroDivisionError("division by zero in a user strategy")
        return Signal(self.name, Direction.FLAT, 0.0, "quiet")


@dataclass(frozen=True, slots=True)
class Sleepy:
    name: ClassVar[str] = "sleepy_test"
    regimes: ClassVar[frozenset[str]] = frozenset()
    seconds: float = 0.05

    def evaluate(self, view: SymbolView) -> Signal:
        CALLS.append((self.name, view.symbol))
        time.sleep(self.seconds)
        return Signal(self.name, Direction.LONG, 0.9, "slow but sure")


@dataclass(frozen=True, slots=True)
class Garbage:
    name: ClassVar[str] = "garbage_test"
    regimes: ClassVar[frozenset[str]] = frozenset()

    def evaluate(self, view: SymbolView) -> Signal:
        return Signal(self.name, Direction.LONG, 7.0, "confidence out of range")


TEST_STRATEGIES = (Counting, Exploding, Sleepy, Garbage)


@pytest.fixture(autouse=True)
def test_strategies() -> Iterator[None]:
    for cls in TEST_STRATEGIES:
        register_strategy(cls)
    CALLS.clear()
    yield
    for cls in TEST_STRATEGIES:
        STRATEGIES.pop(cls.name, None)


def spec_routing(weights: dict[str, float], **params: dict[str, object]) -> EngineSpec:
    """Every regime routed to the same strategies (so the tests do not depend on the regime)."""
    regimes = ("trending_up", "trending_down", "ranging", "volatile", "breakout", "unknown")
    return EngineSpec(
        router=Router.from_config(dict.fromkeys(regimes, weights)),
        strategy_params=tuple((name, tuple(p.items())) for name, p in params.items()),
    )


def candles(symbol: str, seed: int, n: int = 300) -> SymbolCandles:
    d = ohlcv_from_close(random_walk(n, sigma=0.01, drift=0.001, seed=seed), seed=seed)
    columns = {k: d[k] for k in ("open", "high", "low", "close", "volume")}
    return SymbolCandles("sim-alpha", symbol, columns, d["timestamp"])


ITEMS = [candles("AAA/USDT", 1), candles("BOOM/USDT", 2), candles("CCC/USDT", 3)]


def test_a_strategy_that_raises_is_recorded_and_skipped_while_the_rest_continue() -> None:
    spec = spec_routing({"counting_test": 1.0, "exploding_test": 1.0})
    decisions = evaluate_symbols(ITEMS, spec)
    boom = decisions[1]
    failed = {s.strategy: s for s in boom.signals}["exploding_test"]
    assert failed.error == "ZeroDivisionError: division by zero in a user strategy"
    assert failed.direction is Direction.FLAT and failed.reason.startswith("error:")
    assert boom.error is None  # the symbol itself was evaluated
    # the failed strategy is left out of the score: BOOM scores as if only 'counting' had run
    alone = evaluate_symbols([ITEMS[1]], spec_routing({"counting_test": 1.0}))[0]
    assert boom.score == pytest.approx(alone.score) and boom.direction is Direction.LONG
    # the other symbols ran both strategies without errors
    assert all(s.error is None for d in (decisions[0], decisions[2]) for s in d.signals)
    assert ("exploding_test", "CCC/USDT") in CALLS


def test_a_strategy_that_overruns_its_time_is_recorded_and_skipped_for_the_rest_of_the_batch() -> None:
    spec = replace(spec_routing({"counting_test": 1.0, "sleepy_test": 1.0}), timeout_s=0.01)
    decisions = evaluate_symbols(ITEMS, spec)
    errors = [{s.strategy: s for s in d.signals}["sleepy_test"].error for d in decisions]
    assert errors[0] is not None and errors[0].startswith("timeout: took")
    assert errors[1] == errors[2] == "skipped: overran 0.01s earlier in this batch"
    assert [c for c in CALLS if c[0] == "sleepy_test"] == [("sleepy_test", "AAA/USDT")]
    assert all(d.direction is Direction.LONG for d in decisions)  # counting carried every symbol


def test_an_invalid_signal_is_an_error_not_a_trade() -> None:
    decision = evaluate_symbols(ITEMS[:1], spec_routing({"garbage_test": 1.0}))[0]
    assert decision.signals[0].error is not None and "invalid signal" in decision.signals[0].error
    assert decision.direction is Direction.FLAT and decision.score == 0.0


def test_an_unchanged_symbol_is_served_from_the_cache() -> None:
    cache = MemoryCache()
    spec = spec_routing({"counting_test": 1.0, "exploding_test": 0.5})
    first = evaluate_symbols(ITEMS, spec, cache)
    calls_first = len(CALLS)
    second = evaluate_symbols(ITEMS, spec, cache)
    assert second == first
    assert len(CALLS) == calls_first + 1  # only the strategy that raised (errors are never cached) ran again
    assert CALLS[-1] == ("exploding_test", "BOOM/USDT")
    assert [d.metrics["cache_hits"] for d in second] == [2.0, 1.0, 2.0]  # signals reused per symbol


def test_changed_candles_or_params_recompute_only_what_changed() -> None:
    cache = MemoryCache()
    spec = spec_routing({"counting_test": 1.0, "exploding_test": 0.5}, exploding_test={"on": "nobody"})
    evaluate_symbols(ITEMS, spec, cache)
    CALLS.clear()
    changed = list(ITEMS)
    close = changed[2].columns["close"].copy()
    close[-1] *= 1.01
    changed[2] = replace(changed[2], columns={**changed[2].columns, "close": close})
    evaluate_symbols(changed, spec, cache)
    assert sorted(CALLS) == [("counting_test", "CCC/USDT"), ("exploding_test", "CCC/USDT")]
    CALLS.clear()
    retuned = spec_routing(
        {"counting_test": 1.0, "exploding_test": 0.5}, counting_test={"level": 0.7}, exploding_test={"on": "nobody"}
    )
    again = evaluate_symbols(changed, retuned, cache)
    assert sorted(CALLS) == [("counting_test", s) for s in ("AAA/USDT", "BOOM/USDT", "CCC/USDT")]
    assert {s.confidence for d in again for s in d.signals if s.strategy == "counting_test"} == {0.7}


def test_too_few_bars_is_flat_with_a_reason_and_no_strategy_runs() -> None:
    decision = evaluate_symbols([candles("NEW/USDT", 5, n=30)], spec_routing({"counting_test": 1.0}))[0]
    assert decision.direction is Direction.FLAT and decision.error is None
    assert decision.reason == f"insufficient_bars: have 30, need {DEFAULT_SPEC.min_bars}"
    assert CALLS == []


def test_decisions_carry_regime_routes_signals_and_features() -> None:
    decision = evaluate_symbols(ITEMS[:1], DEFAULT_SPEC)[0]
    assert decision.regime in {"trending_up", "trending_down", "ranging", "volatile", "breakout"}
    assert 0 < decision.regime_confidence <= 1
    assert [name for name, _ in decision.routes] == [s.strategy for s in decision.signals]
    assert decision.atr > 0 and decision.volatility > 0 and decision.last_price == ITEMS[0].columns["close"][-1]
    assert len(decision.data_hash) == 32 and decision.reason


@pytest.fixture
def batch_file(tmp_path: Path) -> str:
    symbols = {f"S{k}/USDT": ohlcv_from_close(random_walk(260, seed=k), seed=k) for k in range(6)}
    symbols["DUP/USDT"] = ohlcv_from_close(random_walk(260, seed=9), seed=9)
    symbols["DUP/USDT"]["timestamp"][100] = symbols["DUP/USDT"]["timestamp"][99]
    symbols["GAP/USDT"] = ohlcv_from_close(random_walk(260, seed=10), seed=10)
    symbols["GAP/USDT"]["close"][50:53] = np.nan
    return write_batch(tmp_path / "batch.parquet", symbols)


def test_batch_file_gives_one_decision_per_requested_pair_in_order(batch_file: str) -> None:
    pairs = [
        ("sim-alpha", "S3/USDT"),
        ("sim-alpha", "MISSING/USDT"),
        ("sim-alpha", "DUP/USDT"),
        ("sim-alpha", "S0/USDT"),
    ]
    decisions = evaluate_batch(batch_file, pairs, DEFAULT_SPEC)
    assert [(d.venue, d.symbol) for d in decisions] == pairs
    assert decisions[1].error == f"no candles for sim-alpha:MISSING/USDT in {batch_file}"
    assert decisions[2].error is not None and "strictly increasing" in decisions[2].error
    assert decisions[0].error is None and decisions[3].error is None


def test_a_nan_gap_in_the_candles_is_evaluated_not_an_error(batch_file: str) -> None:
    decision = evaluate_batch(batch_file, [("sim-alpha", "GAP/USDT")], DEFAULT_SPEC)[0]
    assert decision.error is None and decision.atr > 0  # indicators re-seed after the gap


def test_directory_cache_serves_a_rerun_and_survives_a_corrupt_file(batch_file: str, tmp_path: Path) -> None:
    cache = DirectoryCache(str(tmp_path / "cache"))
    job = EvaluationJob(batch_file, tuple(("sim-alpha", f"S{k}/USDT") for k in range(6)))
    first = evaluate_job(job, DEFAULT_SPEC, cache)
    second = evaluate_job(job, DEFAULT_SPEC, cache)
    assert second == first
    assert all(d.metrics["cache_hits"] == len(d.routes) for d in second)
    for path in (tmp_path / "cache").rglob("*.json"):
        path.write_text("{not json")
    assert evaluate_job(job, DEFAULT_SPEC, cache) == first
    assert evaluate_job(job, DEFAULT_SPEC) == first  # and without any cache


def test_quality_scales_the_score(batch_file: str) -> None:
    pairs = tuple(("sim-alpha", f"S{k}/USDT") for k in range(6))
    clean = evaluate_job(EvaluationJob(batch_file, pairs), spec_routing({"counting_test": 1.0}))
    warned = evaluate_job(EvaluationJob(batch_file, pairs, (0.5,) * 6), spec_routing({"counting_test": 1.0}))
    assert [w.score for w in warned] == pytest.approx([0.5 * c.score for c in clean])


def test_job_spec_cache_and_decisions_are_picklable(batch_file: str, tmp_path: Path) -> None:
    job = EvaluationJob(batch_file, (("sim-alpha", "S1/USDT"),))
    cache = DirectoryCache(str(tmp_path / "c"))
    decisions = evaluate_job(job, DEFAULT_SPEC, cache)
    for value in (job, DEFAULT_SPEC, cache, decisions):
        assert pickle.loads(pickle.dumps(value)) == value


def test_directory_cache_prunes_entries_older_than_the_max_age(batch_file: str, tmp_path: Path) -> None:
    cache = DirectoryCache(str(tmp_path / "cache"))
    evaluate_job(EvaluationJob(batch_file, (("sim-alpha", "S1/USDT"), ("sim-alpha", "S2/USDT"))), DEFAULT_SPEC, cache)
    files = sorted((tmp_path / "cache").rglob("*.json"))
    old = time.time() - 3 * 86_400
    os.utime(files[0], (old, old))
    assert cache.prune(86_400) == 1
    assert sorted((tmp_path / "cache").rglob("*.json")) == files[1:]
    assert DirectoryCache(str(tmp_path / "nothing-here")).prune(1) == 0
