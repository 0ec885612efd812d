"""evaluate_batch over a real parquet file: selection, ordering and graceful degradation."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from tradepipe.core.strategy import (
    DEFAULT_PARAMS,
    EvaluationJob,
    evaluate_batch,
    evaluate_job,
    evaluate_symbol,
)
from tradepipe.domain.strategy import Direction
from tradepipe.errors import DataQualityError

HOUR_MS = 3_600_000


def candles(venue: str, symbol: str, close: np.ndarray, start_ms: int = 1_700_000_000_000) -> pl.DataFrame:
    opens = np.concatenate((close[:1], close[:-1]))
    return pl.DataFrame(
        {
            "venue": [venue] * close.size,
            "symbol": [symbol] * close.size,
            "timestamp": start_ms + np.arange(close.size, dtype=np.int64) * HOUR_MS,
            "open": opens,
            "high": np.maximum(opens, close) * 1.004,
            "low": np.minimum(opens, close) * 0.996,
            "close": close,
            "volume": np.full(close.size, 5.0),
        }
    )


def write_batch(path: Path) -> Path:
    rng = np.random.default_rng(9)
    uptrend = 100.0 * 1.01 ** np.arange(150)
    downtrend = 50.0 * 0.99 ** np.arange(150)
    walk = 20.0 * np.exp(np.cumsum(rng.normal(0, 0.01, 150)))
    broken = candles("sim", "BROKEN/USDT", walk)
    # planted: a duplicated bar, which evaluate_symbol refuses with DataQualityError
    broken = pl.concat([broken.head(80), broken.slice(79)])
    frame = pl.concat(
        [
            broken,
            candles("sim", "DOWN/USDT", downtrend),
            candles("sim", "SHORT/USDT", walk[:20]),
            candles("sim", "UP/USDT", uptrend),
            candles("other", "UP/USDT", downtrend),
            candles("other", "WALK/USDT", walk),
        ]
    ).sort("venue", "symbol", "timestamp", maintain_order=True)
    frame.write_parquet(path)
    return path


@pytest.fixture
def batch_file(tmp_path: Path) -> str:
    return str(write_batch(tmp_path / "batch-0.parquet"))


def test_decisions_follow_the_requested_pairs(batch_file: str) -> None:
    pairs = [("sim", "UP/USDT"), ("sim", "DOWN/USDT"), ("other", "WALK/USDT")]
    decisions = evaluate_batch(batch_file, pairs, DEFAULT_PARAMS)
    assert [(d.venue, d.symbol) for d in decisions] == pairs
    assert decisions[0].direction is Direction.LONG
    assert decisions[1].direction is Direction.FLAT
    assert all(d.error is None for d in decisions)


def test_only_requested_pairs_are_read(batch_file: str) -> None:
    # ("other", "UP/USDT") is a down-trend; the same symbol on "sim" is an up-trend
    [decision] = evaluate_batch(batch_file, [("other", "UP/USDT")], DEFAULT_PARAMS)
    assert decision.direction is Direction.FLAT
    assert decision.last_price == pytest.approx(50.0 * 0.99**149)


def test_batch_decision_equals_direct_evaluation(batch_file: str) -> None:
    frame = pl.read_parquet(batch_file).filter(pl.col("venue") == "sim", pl.col("symbol") == "UP/USDT")
    direct = evaluate_symbol(
        "sim",
        "UP/USDT",
        *(frame[c].to_numpy() for c in ("timestamp", "open", "high", "low", "close", "volume")),
        DEFAULT_PARAMS,
    )
    [batched] = evaluate_batch(batch_file, [("sim", "UP/USDT")], DEFAULT_PARAMS)
    assert batched == direct
    assert batched.metrics == direct.metrics


def test_a_symbol_whose_evaluation_raises_degrades_to_flat_with_error(batch_file: str) -> None:
    pairs = [("sim", "UP/USDT"), ("sim", "BROKEN/USDT"), ("sim", "DOWN/USDT")]
    up, broken, down = evaluate_batch(batch_file, pairs, DEFAULT_PARAMS)
    assert broken.direction is Direction.FLAT
    assert broken.score == 0.0
    assert broken.error is not None
    assert broken.error.startswith("DataQualityError")
    assert "strictly increasing" in broken.error
    assert broken.signals[0].reason.startswith("error:")
    assert up.direction is Direction.LONG and up.error is None
    assert down.error is None


def test_a_pair_missing_from_the_file_degrades_with_a_message(batch_file: str) -> None:
    [missing] = evaluate_batch(batch_file, [("sim", "NOPE/USDT")], DEFAULT_PARAMS)
    assert missing.direction is Direction.FLAT
    assert missing.error == f"no candles for sim:NOPE/USDT in {batch_file}"


def test_too_few_bars_is_flat_without_error(batch_file: str) -> None:
    [short] = evaluate_batch(batch_file, [("sim", "SHORT/USDT")], DEFAULT_PARAMS)
    assert short.direction is Direction.FLAT
    assert short.error is None
    assert short.signals[0].reason.startswith("insufficient_bars")


def test_no_pairs_reads_nothing(tmp_path: Path) -> None:
    assert evaluate_batch(str(tmp_path / "absent.parquet"), [], DEFAULT_PARAMS) == []


def test_unreadable_file_is_a_data_quality_error(tmp_path: Path) -> None:
    corrupt = tmp_path / "corrupt.parquet"
    corrupt.write_bytes(b"not parquet at all")
    with pytest.raises(DataQualityError, match="cannot read candles"):
        evaluate_batch(str(corrupt), [("sim", "UP/USDT")], DEFAULT_PARAMS)
    with pytest.raises(DataQualityError, match="cannot read candles"):
        evaluate_batch(str(tmp_path / "absent.parquet"), [("sim", "UP/USDT")], DEFAULT_PARAMS)


def test_job_and_results_are_picklable(batch_file: str) -> None:
    job = EvaluationJob(path=batch_file, pairs=(("sim", "UP/USDT"), ("sim", "BROKEN/USDT")))
    decisions = evaluate_job(pickle.loads(pickle.dumps(job)), DEFAULT_PARAMS)
    assert pickle.loads(pickle.dumps(decisions)) == decisions
    assert pickle.loads(pickle.dumps(evaluate_job)) is evaluate_job
