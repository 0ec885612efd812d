"""A NaN close through the real fetch (SimExchange sources, consensus) and the gate: filled from the other source
and graded warn when a second source has the bar; quarantined with the reason when it is NaN at its only source."""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from tests.conftest import make_settings
from tests.unit.marketdata.conftest import HOUR, NOW, SYMBOLS, batch, router, venue
from tradepipe import wiring
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.venues.sim_exchange import FaultPlan
from tradepipe.config import Settings
from tradepipe.core.marketdata import ConsensusPolicy, FetchResult, WindowCache, fetch_batch
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.quality import QualityReport, Verdict
from tradepipe.stages import gate as gate_stage

BAD_BAR = NOW - 10 * HOUR
SYMBOL, OTHER = SYMBOLS[1], SYMBOLS[2]
NAN_AT_ALPHA = FaultPlan(nan_close_at=(BAD_BAR,))


def fetch(settings: Settings, sources: dict[str, object]) -> FetchResult:
    store = ParquetCandleStore(Path(settings.state_dir) / "candles")
    return fetch_batch(
        batch("alpha", [SYMBOL, OTHER]), router(sources), store, WindowCache(store),  # type: ignore[arg-type]
        timeframe="1h", bars=300, as_of_ms=NOW, consensus=ConsensusPolicy(threshold_bps=50, max_sources=2),
    )  # fmt: skip


def gate(settings: Settings, result: FetchResult) -> tuple[gate_stage.GateOutcome, QualityReport]:
    cycle = wiring.ledger(settings).start_run("run-1", as_of_ms=NOW, mode="paper", seed=settings.seed)
    outcome = gate_stage.gate(settings, CycleContext("run-1", cycle, NOW), [result])
    return outcome, next(r for r in outcome.reports if r.symbol == SYMBOL)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "state", quality={"gx_enabled": False})


def test_a_nan_close_at_one_of_two_sources_is_filled_from_the_other_and_warns(settings: Settings) -> None:
    result = fetch(settings, {"alpha": venue("alpha", faults=NAN_AT_ALPHA), "beta": venue("beta")})
    frame = pl.read_parquet(result.ref.path).filter(pl.col("symbol") == SYMBOL)
    kept = frame.filter(pl.col("timestamp") == BAD_BAR)["close"].item()
    assert kept == venue("clean").fetch_ohlcv(SYMBOL, "1h", since=BAD_BAR, limit=1)[0][4]  # beta's close
    assert not frame["close"].is_nan().any()
    (finding,) = [f for f in result.consensus if f.symbol == SYMBOL]
    assert finding.replaced == 1 and math.isinf(finding.worst_bps) and finding.worst_source == "alpha"
    outcome, report = gate(settings, result)
    assert report.verdict is Verdict.WARN and [i.check for i in report.issues] == ["consensus_disagreement"]
    assert "worst alpha without a usable close at" in report.issues[0].detail
    assert "1 bars taken from another source" in report.issues[0].detail
    assert ("alpha", SYMBOL) in {p for _, pairs in outcome.work for p in pairs}


def test_a_nan_close_at_its_only_source_quarantines_with_the_reason(settings: Settings) -> None:
    only_alpha = [s for s in SYMBOLS if s != SYMBOL]  # beta does not list the symbol: alpha is its only source
    result = fetch(settings, {"alpha": venue("alpha", faults=NAN_AT_ALPHA), "beta": venue("beta", only_alpha)})
    frame = pl.read_parquet(result.ref.path).filter(pl.col("symbol") == SYMBOL)
    assert frame.filter(pl.col("timestamp") == BAD_BAR)["close"].is_nan().item()  # nothing to fill it from
    outcome, report = gate(settings, result)
    assert report.verdict is Verdict.QUARANTINE
    assert [(i.check, i.detail) for i in report.issues] == [("nan_values", "1 bars with NaN, null or infinite values")]
    assert outcome.quarantined == (("alpha", SYMBOL),)
    (entry,) = wiring.quality_store(settings).open_quarantine()
    assert (entry.venue, entry.symbol, entry.check) == ("alpha", SYMBOL, "nan_values")
