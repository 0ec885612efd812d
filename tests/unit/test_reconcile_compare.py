"""Stage 8: ledger vs wallet differences, classified by kind, with tolerance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tradepipe.core.reconcile import ReconciliationResult, compare_balances

D = Decimal
LEDGER = {"USDT": D("9500.25"), "BTC": D("0.012"), "ETH": D("1.5")}


def compare(ledger: dict[str, Decimal], wallet: dict[str, Decimal], **kw: Decimal) -> ReconciliationResult:
    return compare_balances("sim-alpha", "paper_wallet", ledger, wallet, quote="USDT", **kw)


def briefs(result: ReconciliationResult) -> tuple[tuple[object, ...], ...]:
    return tuple((d.kind, d.asset, d.expected, d.actual, d.resolution) for d in result.diffs)


def test_identical_holdings_are_clean() -> None:
    result = compare(LEDGER, dict(LEDGER))
    assert (result.venue, result.counterparty) == ("sim-alpha", "paper_wallet")
    assert briefs(result) == ()
    assert result.status == "clean"


def test_cash_drift() -> None:
    result = compare(LEDGER, {**LEDGER, "USDT": D("9499.25")})
    assert result.status == "mismatch"
    assert briefs(result) == (("cash_drift", "USDT", D("9500.25"), D("9499.25"), "halted"),)


def test_position_drift() -> None:
    result = compare(LEDGER, {**LEDGER, "BTC": D("0.011")})
    assert briefs(result) == (("position_drift", "BTC", D("0.012"), D("0.011"), "halted"),)


def test_position_missing_from_the_wallet_is_position_drift() -> None:
    wallet = {k: v for k, v in LEDGER.items() if k != "ETH"}
    result = compare(LEDGER, wallet)
    assert briefs(result) == (("position_drift", "ETH", D("1.5"), D("0"), "halted"),)


def test_unknown_position_in_the_wallet() -> None:
    result = compare(LEDGER, {**LEDGER, "DOGE": D("100")})
    assert briefs(result) == (("unknown_position", "DOGE", D("0"), D("100"), "halted"),)


def test_every_kind_at_once_is_reported_sorted_by_asset() -> None:
    wallet = {"USDT": D("9000"), "BTC": D("0.012"), "ETH": D("2"), "SOL": D("3")}
    result = compare(LEDGER, wallet)
    assert [(d.asset, d.kind) for d in result.diffs] == [
        ("ETH", "position_drift"),
        ("SOL", "unknown_position"),
        ("USDT", "cash_drift"),
    ]
    assert all(d.resolution == "halted" for d in result.diffs)


@pytest.mark.parametrize(
    ("delta", "diffs"),
    [(D("1e-9"), 0), (D("-1e-9"), 0), (D("1.0000001e-9"), 1), (D("-2e-9"), 1)],
)
def test_default_tolerance_is_inclusive(delta: Decimal, diffs: int) -> None:
    result = compare(LEDGER, {**LEDGER, "USDT": LEDGER["USDT"] + delta})
    assert len(result.diffs) == diffs


def test_custom_tolerance_is_absolute_for_every_asset() -> None:
    wallet = {**LEDGER, "USDT": D("9500.30"), "BTC": D("0.0125")}  # off by 0.05 and 0.0005
    assert compare(LEDGER, wallet, tolerance=D("0.05")).status == "clean"
    assert briefs(compare(LEDGER, wallet, tolerance=D("0.001"))) == (
        ("cash_drift", "USDT", D("9500.25"), D("9500.30"), "halted"),
    )
    assert [d.asset for d in compare(LEDGER, wallet, tolerance=D("0.0001")).diffs] == ["BTC", "USDT"]


def test_dust_below_tolerance_of_an_unknown_asset_is_ignored() -> None:
    assert compare(LEDGER, {**LEDGER, "PEPE": D("1e-12")}).status == "clean"


def test_empty_sides() -> None:
    assert compare({}, {}).status == "clean"
    assert [d.kind for d in compare(LEDGER, {}).diffs] == ["position_drift", "position_drift", "cash_drift"]


def test_quote_missing_from_the_ledger_is_cash_drift_not_an_unknown_position() -> None:
    result = compare({}, {"USDT": D("10")})
    assert briefs(result) == (("cash_drift", "USDT", D("0"), D("10"), "halted"),)
