"""The gate stage on real batch files and a real ledger (SQLite and PostgreSQL): quarantine, release after N clean
cycles, corrupt files, the stored reports and the HTML page. Frames are driven directly, so a defect can heal."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from tests.conftest import make_settings
from tests.unit.quality.corpus import STEP, TF, set_cells
from tradepipe import wiring
from tradepipe.adapters.storage.candles import ParquetCandleStore
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.config import Settings
from tradepipe.core.marketdata import FetchResult
from tradepipe.core.marketdata.consensus import ConsensusPolicy, reconcile
from tradepipe.core.marketdata.fetch import candle_frame
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.market import DatasetRef
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.quality import Verdict
from tradepipe.stages import gate as gate_stage

VENUE = "sim-alpha"
MARKET = SimMarket(seed=21, history_bars=400, future_bars=0, n_symbols=12)
SYMBOLS = MARKET.symbols()[:3]
A, B, C = ((VENUE, s) for s in SYMBOLS)
WINDOW = 300
FIRST_AS_OF = MARKET.start_ms + 320 * STEP
POLICY = ConsensusPolicy(threshold_bps=50.0)

Planter = Callable[[pl.DataFrame], pl.DataFrame]


def settings_for(tmp_path: Path, url: str, **quality: object) -> Settings:
    return make_settings(
        tmp_path / "state",
        database_url=url,
        quality={"release_after_clean_cycles": 2, "gx_enabled": False, **quality},
    )


def batch(settings: Settings, as_of: int, index: int = 0, plant: dict[str, Planter] | None = None) -> FetchResult:
    """The last WINDOW closed bars of the three symbols at ``as_of``, with defects planted per symbol."""
    frames = []
    for symbol in MARKET.symbols()[3 * index : 3 * index + 3]:
        frame = candle_frame(VENUE, symbol, MARKET.clean_candles(symbol, until_ms=as_of)[-WINDOW:].tolist())
        frames.append((plant or {}).get(symbol, lambda f: f)(frame))
    store = ParquetCandleStore(Path(settings.state_dir) / "candles")
    ref = store.write(f"b{index}-{as_of}", pl.concat(frames), timeframe=TF, batch_index=index, as_of_ms=as_of)
    return FetchResult(ref, cache_hit=False, missing=())


def open_cycle(settings: Settings, n: int) -> CycleContext:
    as_of = FIRST_AS_OF + n * STEP
    cycle = wiring.ledger(settings).start_run(f"run-{n}", as_of_ms=as_of, mode="paper", seed=settings.seed)
    return CycleContext(f"run-{n}", cycle, as_of)


def nan_close(frame: pl.DataFrame) -> pl.DataFrame:
    return set_cells(frame, frame.height - 3, close=float("nan"))


def evaluated(outcome: gate_stage.GateOutcome) -> set[tuple[str, str]]:
    return {p for _, pairs in outcome.work for p in pairs}


def test_a_healed_symbol_is_released_only_after_n_clean_cycles(ledger_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ledger_url)
    ledger = wiring.ledger(settings)
    history = []
    # cycle 0: A is bad; 1: clean (1/2); 2: bad again (count restarts); 3, 4: clean → released after cycle 4
    for n, bad in enumerate([True, False, True, False, False]):
        ctx = open_cycle(settings, n)
        fetched = [batch(settings, ctx.as_of_ms, plant={SYMBOLS[0]: nan_close} if bad else None)]
        outcome = gate_stage.gate(settings, ctx, fetched)
        history.append((A in outcome.quarantined, A in evaluated(outcome)))
        assert {B, C} <= evaluated(outcome)
        reports = {(r.venue, r.symbol): r for r in outcome.reports}
        assert reports[A].verdict is (Verdict.QUARANTINE if bad else Verdict.PASS)
    assert history == [(True, False), (True, False), (True, False), (True, False), (False, True)]
    assert ledger.quarantined() == set()
    with ledger.engine.connect() as conn:
        rows = conn.execute(
            text("select check_name, first_seen_run, last_seen_run, clean_cycles from quarantine")
        ).all()
    assert [tuple(r) for r in rows] == [("nan_values", "run-0", "run-2", 2)]


def test_warned_symbols_trade_at_reduced_size_and_count_as_clean(ledger_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ledger_url, release_after_clean_cycles=1)
    ctx = open_cycle(settings, 0)
    spike = {SYMBOLS[1]: lambda f: set_cells(f, f.height - 5, close=f["close"][-5] * 3, high=f["close"][-5] * 3)}
    outcome = gate_stage.gate(settings, ctx, [batch(settings, ctx.as_of_ms, plant=spike)])
    assert B in evaluated(outcome)
    assert outcome.quality_factor() == {B: pytest.approx(0.6)}
    assert outcome.quarantined == ()


@pytest.mark.parametrize("damage", ["garbage", "altered", "deleted", "schema"])
def test_a_corrupt_batch_file_quarantines_its_symbols_and_the_cycle_goes_on(
    damage: str, ledger_url: str, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, ledger_url)
    ctx = open_cycle(settings, 0)
    good, bad = batch(settings, ctx.as_of_ms, 0), batch(settings, ctx.as_of_ms, 1)
    path = Path(bad.ref.path)
    if damage == "garbage":
        path.write_bytes(b"not a parquet file")
        ref = DatasetRef(**{**_ref_dict(bad.ref), "content_hash": _sha(path)})
    elif damage == "altered":
        path.write_bytes(path.read_bytes()[:-100] + bytes(100))
        ref = bad.ref
    elif damage == "deleted":
        path.unlink()
        ref = bad.ref
    else:
        pl.read_parquet(path).drop("volume").write_parquet(path)
        ref = DatasetRef(**{**_ref_dict(bad.ref), "content_hash": _sha(path)})
    bad = FetchResult(ref, cache_hit=False, missing=())
    outcome = gate_stage.gate(settings, ctx, [good, bad])
    assert len(outcome.reports) == 6
    corrupt = [r for r in outcome.reports if r.issues and r.issues[0].check == "corrupt_file"]
    assert len(corrupt) == 3 and all(r.verdict is Verdict.QUARANTINE for r in corrupt)
    assert str(path) in corrupt[0].issues[0].detail
    assert outcome.work == ((good.ref.path, good.ref.symbols),)


def test_missing_symbols_and_fetch_failures_are_quarantined(ledger_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ledger_url)
    ctx = open_cycle(settings, 0)
    fetched = batch(settings, ctx.as_of_ms)
    ghost = (VENUE, "GHOST/USDT")
    ref = DatasetRef(**{**_ref_dict(fetched.ref), "symbols": (*fetched.ref.symbols, ghost)})
    failed = (VENUE, "DOWN/USDT", "fetch failed after 3 attempts: 503")
    outcome = gate_stage.gate(settings, ctx, [FetchResult(ref, cache_hit=False, missing=(failed,))])
    details = {(r.venue, r.symbol): [(i.check, i.detail) for i in r.issues] for r in outcome.reports}
    assert details[ghost] == [("missing_data", "no rows in the batch file")]
    assert details[(VENUE, "DOWN/USDT")] == [("missing_data", failed[2])]
    assert set(outcome.quarantined) == {ghost, (VENUE, "DOWN/USDT")}


def test_reports_are_stored_and_rendered(ledger_url: str, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, ledger_url)
    ctx = open_cycle(settings, 0)
    outcome = gate_stage.gate(settings, ctx, [batch(settings, ctx.as_of_ms, plant={SYMBOLS[2]: nan_close})])
    store = wiring.quality_store(settings)
    run = store.latest_run()
    assert run is not None and run.run_id == "run-0"
    assert (run.symbols, run.rows, run.passed, run.warned, run.quarantined, run.blocked) == (3, 900, 2, 0, 1, 1)
    assert run.gx_status == "off" and run.data_docs == "" and outcome.data_docs == ""
    worst = store.reports("run-0")[0]
    assert (worst.symbol, worst.verdict, worst.issues[0].check) == (SYMBOLS[2], Verdict.QUARANTINE, "nan_values")
    assert [r.symbol for r in store.reports("run-0", SYMBOLS[0])] == [SYMBOLS[0]]
    assert [(e.symbol, e.check, e.clean_cycles) for e in store.open_quarantine()] == [(SYMBOLS[2], "nan_values", 0)]
    page = Path(outcome.html_report).read_text()
    assert Path(outcome.html_report).parent == (Path(settings.state_dir) / "quality" / "reports").resolve()
    assert SYMBOLS[2] in page and (Path(outcome.html_report).parent / "latest.html").read_text() == page
    assert f"| {VENUE} | {SYMBOLS[2]} | 0.00 | quarantine |" in outcome.worst_markdown


def test_gx_tier_runs_once_per_cycle_and_links_data_docs(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", gx_enabled=True)
    ctx = open_cycle(settings, 0)
    fetched = [batch(settings, ctx.as_of_ms, 0, plant={SYMBOLS[0]: nan_close}), batch(settings, ctx.as_of_ms, 1)]
    good = PoolFacts("sim-sol", "p1", "NEW/SOL", "m1", "So1", 1e6, 500.0, 25.0, 1_000, 61_000, 35.0)
    rugged = replace(good, pool_id="p2", symbol="RUG/SOL", base_reserve=0.0)
    outcome = gate_stage.gate(settings, ctx, fetched, pools=[good, rugged])
    assert outcome.rejected_pools == (("sim-sol", "RUG/SOL"),)
    docs = Path(outcome.data_docs.removeprefix("file://"))
    assert docs.is_file() and docs.is_relative_to((Path(settings.state_dir) / "quality" / "gx").resolve())
    run = wiring.quality_store(settings).latest_run()
    assert run is not None and run.gx_status == "failed" and run.rows == 1800
    assert "ohlcv: expect_column_values_to_not_be_null(close)" in run.gx_failed
    assert "pool_facts: expect_column_values_to_be_between(base_reserve > 0)" in run.gx_failed
    assert [(r.symbol, r.issues[0].check) for r in outcome.reports if r.issues] == [(SYMBOLS[0], "nan_values")]
    assert len(outcome.reports) == 6 and len(evaluated(outcome)) == 5
    page = Path(outcome.html_report).read_text()
    assert "Great Expectations tier: candles" in page and "Great Expectations tier: new DEX pools" in page


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ref_dict(ref: DatasetRef) -> dict[str, object]:
    return {f: getattr(ref, f) for f in DatasetRef.__slots__}  # type: ignore[attr-defined]


def _sha(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gate_runs_table_holds_json(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    ctx = open_cycle(settings, 0)
    gate_stage.gate(settings, ctx, [batch(settings, ctx.as_of_ms)])
    with wiring.ledger(settings).engine.connect() as conn:
        issues = conn.execute(text("select issues from quality_reports")).scalars().all()
    assert [json.loads(i) for i in issues] == [[], [], []]


def test_a_consensus_finding_from_fetch_warns_and_names_the_disagreement(tmp_path: Path) -> None:
    """Two sources of one symbol, one with a bad close: issue 4's consensus finds it; the gate warns on it."""
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}")
    ctx = open_cycle(settings, 0)
    fetched = batch(settings, ctx.as_of_ms)
    own = MARKET.clean_candles(SYMBOLS[0], until_ms=ctx.as_of_ms)[-WINDOW:]
    columns = ["timestamp", "open", "high", "low", "close", "volume"]
    primary = pl.DataFrame(own, schema=columns, orient="row")
    other = set_cells(primary, WINDOW - 4, close=primary["close"][WINDOW - 4] * 1.05)
    _, _, finding = reconcile(VENUE, SYMBOLS[0], "sim-alpha", {"sim-alpha": primary, "sim-beta": other}, POLICY)
    assert finding is not None and finding.bars_disagreeing == 1
    fetched = FetchResult(fetched.ref, cache_hit=False, missing=(), consensus=(finding,))
    outcome = gate_stage.gate(settings, ctx, [fetched])
    report = next(r for r in outcome.reports if (r.venue, r.symbol) == A)
    assert report.verdict is Verdict.WARN and report.score == pytest.approx(0.7)
    assert [i.check for i in report.issues] == ["consensus_disagreement"]
    assert report.issues[0].detail == (
        "1 of 300 bars disagree across sim-alpha, sim-beta; worst sim-beta 244 bps at "
        f"{_when(primary['timestamp'][WINDOW - 4])}; 0 bars taken from another source"
    )
    assert outcome.quality_factor() == {A: pytest.approx(0.7)}


def test_an_empty_cycle_still_writes_its_report(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, f"sqlite:///{tmp_path / 'ledger.db'}", gx_enabled=True)
    outcome = gate_stage.gate(settings, open_cycle(settings, 0), [])
    assert (outcome.work, outcome.reports, outcome.quarantined, outcome.data_docs) == ((), (), (), "")
    run = wiring.quality_store(settings).latest_run()
    assert run is not None and (run.symbols, run.gx_status) == (0, "off")
    assert "Every symbol passed every check." in outcome.worst_markdown and Path(outcome.html_report).is_file()
