"""The Great Expectations tier for real (GX 1.x, file context in a temp dir): suites per dataset kind, the defect
corpus, a clean corpus of 240 sim symbols, Data Docs on disk, pruning of old runs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import polars as pl
import pytest

from tests.unit.quality.corpus import DEFECTS, RULES, TF, clean_frame, defect_corpus, defect_market
from tradepipe.adapters.quality.frames import ohlcv_frame, order_book_frame, pool_facts_frame
from tradepipe.adapters.quality.runner import GxRunner
from tradepipe.adapters.venues.sim_exchange import default_sim_venues
from tradepipe.adapters.venues.sim_market import SimMarket
from tradepipe.clock import SimClock
from tradepipe.core.quality import SuiteOutcome, assess_frame, second_opinion
from tradepipe.domain.pools import PoolFacts
from tradepipe.domain.quality import Verdict

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> GxRunner:
    return GxRunner(tmp_path_factory.mktemp("gx") / "quality", keep_runs=2)


def failed_by_symbol(outcome: SuiteOutcome) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for o in outcome.failed:
        for _, symbol in o.pairs:
            found.setdefault(symbol, set()).add(o.mirrors)
    return found


def test_defect_corpus_row_defects_are_failed_by_the_mirroring_expectation(runner: GxRunner) -> None:
    frame, planted, at = defect_corpus(defect_market())
    outcome = runner.validate("ohlcv", ohlcv_frame(frame), "corpus")
    assert outcome.error == "" and not outcome.success
    failed = failed_by_symbol(outcome)
    for symbol, kind in planted.items():
        if DEFECTS[kind].gx:
            assert DEFECTS[kind].check in failed.get(symbol, set()), kind
        else:  # gaps, staleness, spikes ... are time-series properties the row-level suite does not see
            assert symbol not in failed, kind
    merged = second_opinion(assess_frame(frame, timeframe=TF, as_of_ms=at, rules=RULES), outcome, RULES)
    by_symbol = {r.symbol: r for r in merged}
    for symbol, kind in planted.items():  # both tiers agree: the polars check still names the defect alone
        assert [i.check for i in by_symbol[symbol].issues] == [DEFECTS[kind].check]
    assert Path(outcome.data_docs.removeprefix("file://")).is_file()
    assert runner.data_docs_index.is_file()


def test_clean_corpus_of_240_symbols_passes_every_expectation(runner: GxRunner) -> None:
    market = SimMarket(seed=7, history_bars=300, future_bars=0, n_symbols=240)
    frame = pl.concat([clean_frame(market, s) for s in market.symbols()])
    outcome = runner.validate("ohlcv", ohlcv_frame(frame), "clean")
    assert outcome.rows == 240 * 300
    assert outcome.success, [(o.expectation, o.target, o.pairs[:3]) for o in outcome.failed]
    assert len(outcome.outcomes) == 24


def test_missing_columns_fail_the_table_expectation_for_every_symbol(runner: GxRunner) -> None:
    frame = clean_frame(defect_market(), "BTC/USDT").drop("volume")
    outcome = runner.validate("ohlcv", ohlcv_frame(frame), "no-volume")
    assert not outcome.success
    table = [o for o in outcome.failed if o.table_level]
    assert [o.mirrors for o in table] == ["corrupt_file"]
    report = assess_frame(frame.with_columns(volume=pl.lit(1.0)), timeframe=TF, as_of_ms=0, rules=RULES)[0]
    report = replace(report, verdict=Verdict.PASS, issues=(), score=1.0)
    assert second_opinion([report], outcome, RULES)[0].verdict is Verdict.QUARANTINE


def test_order_book_suite_passes_sim_books_and_fails_a_crossed_one(runner: GxRunner) -> None:
    venue = default_sim_venues(7, SimClock(1_767_225_600_000 + 700 * 3_600_000), bad_data_every=0)["sim-alpha"]
    symbols = sorted(venue.load_markets())[:5]
    books = {("sim-alpha", s): venue.fetch_order_book(s, 10) for s in symbols}
    assert runner.validate("order_book", order_book_frame(books), "books").success
    book = books[("sim-alpha", symbols[0])]
    crossed = {**book, "bids": [[book["asks"][0][0] * 1.01, 1.0], *book["bids"][1:]]}
    outcome = runner.validate("order_book", order_book_frame({**books, ("sim-alpha", symbols[0]): crossed}), "crossed")
    assert {o.mirrors for o in outcome.failed} == {"crossed book"}
    assert failed_by_symbol(outcome) == {symbols[0]: {"crossed book"}}


def pool(pool_id: str, **changes: object) -> PoolFacts:
    base = PoolFacts(
        "sim-sol", pool_id, f"{pool_id}/SOL", f"mint-{pool_id}", "So111", 1e6, 500.0, 25.0, 1_000, 61_000, 35.0
    )
    return replace(base, **changes)


def test_pool_facts_suite(runner: GxRunner) -> None:
    good = [pool("AAA"), pool("BBB")]
    assert runner.validate("pool_facts", pool_facts_frame(good), "pools").success
    bad = [*good, pool("RUG", base_reserve=0.0), pool("OLD", observed_at_ms=10), pool("AAA", symbol="AAA2/SOL")]
    outcome = runner.validate("pool_facts", pool_facts_frame(bad), "bad-pools")
    assert {o.mirrors for o in outcome.failed} == {
        "empty or negative reserve",
        "observed before creation",
        "duplicate pool",
    }
    assert set(failed_by_symbol(outcome)) == {"RUG/SOL", "OLD/SOL", "AAA/SOL", "AAA2/SOL"}


def test_unknown_kind_is_refused_and_old_runs_are_pruned(runner: GxRunner) -> None:
    with pytest.raises(ValueError, match="unknown dataset kind 'trades'"):
        runner.validate("trades", ohlcv_frame(clean_frame(defect_market(), "BTC/USDT")), "x")
    frame = ohlcv_frame(clean_frame(defect_market(), "BTC/USDT"))
    for i in range(4):
        runner.validate("ohlcv", frame, f"prune-{i}")
    uncommitted = runner.gx_dir / "uncommitted"
    stored = uncommitted / "validations" / "tradepipe" / "ohlcv"
    assert sorted(p.name for p in stored.iterdir()) == ["prune-2", "prune-3"]
    pages = uncommitted / "data_docs" / "local_site" / "validations" / "tradepipe" / "ohlcv"
    assert sorted(p.name for p in pages.iterdir()) == ["prune-2", "prune-3"]
    index = runner.data_docs_index.read_text()
    assert "prune-3" in index and "prune-2" in index and "prune-1" not in index


def test_prewarm_builds_the_project_in_the_background(tmp_path: Path) -> None:
    warm = GxRunner(tmp_path / "quality")
    warm.prewarm()
    warm.prewarm()  # once per runner
    outcome = warm.validate("ohlcv", ohlcv_frame(clean_frame(defect_market(), "BTC/USDT")), "after-prewarm")
    assert outcome.success and outcome.error == ""
    assert (tmp_path / "quality" / "gx" / "checkpoints").is_dir()
