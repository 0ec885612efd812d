"""``map_venue_errors``: every ccxt exception class becomes the tradepipe error that says what to do."""

from __future__ import annotations

import ccxt
import pytest

from tradepipe.adapters.venues.ccxt_errors import map_venue_errors, redact, retry_after_s
from tradepipe.errors import (
    ConfigurationError,
    InsufficientFunds,
    OrderOutcomeUnknown,
    RateLimited,
    TransientVenueError,
    VenueRejected,
)

SECRET = "s3cr3t-api-secret-value"


@pytest.mark.parametrize(
    ("raised", "method", "expected"),
    [
        (ccxt.RateLimitExceeded, "fetch_ohlcv", RateLimited),
        (ccxt.DDoSProtection, "create_order", RateLimited),
        (ccxt.RequestTimeout, "fetch_ohlcv", TransientVenueError),
        (ccxt.NetworkError, "fetch_tickers", TransientVenueError),
        (ccxt.ExchangeNotAvailable, "fetch_balance", TransientVenueError),
        (ccxt.RequestTimeout, "create_order", OrderOutcomeUnknown),
        (ccxt.NetworkError, "cancel_order", OrderOutcomeUnknown),
        (ccxt.ExchangeNotAvailable, "create_order", OrderOutcomeUnknown),
        (ccxt.InsufficientFunds, "create_order", InsufficientFunds),
        (ccxt.InvalidOrder, "create_order", VenueRejected),
        (ccxt.BadSymbol, "fetch_ohlcv", VenueRejected),
        (ccxt.BadRequest, "fetch_ohlcv", VenueRejected),
        (ccxt.OrderNotFound, "fetch_order", VenueRejected),
        (ccxt.ExchangeError, "fetch_order", VenueRejected),
        (ccxt.AuthenticationError, "fetch_balance", ConfigurationError),
        (ccxt.PermissionDenied, "create_order", ConfigurationError),
        (ccxt.OperationFailed, "fetch_ohlcv", TransientVenueError),
        (ccxt.OperationFailed, "create_order", OrderOutcomeUnknown),
    ],
)
def test_each_ccxt_error_maps_by_what_the_caller_must_do(
    raised: type[Exception], method: str, expected: type[Exception]
) -> None:
    with pytest.raises(expected) as caught, map_venue_errors("binance", method, secrets=(SECRET,)):
        raise raised(f"binance {method} failed; apiKey={SECRET}&signature=abcdef")
    assert type(caught.value) is expected  # exactly: a rejection is never mistaken for insufficient funds
    assert SECRET not in str(caught.value) and "abcdef" not in str(caught.value)
    assert caught.value.__cause__ is None  # ``from None``: the ccxt message (with its URL) is not chained


def test_rate_limit_carries_the_venues_hint() -> None:
    with (
        pytest.raises(RateLimited) as caught,
        map_venue_errors("v", "fetch_ohlcv", headers=lambda: {"retry-after": "7"}),
    ):
        raise ccxt.RateLimitExceeded("429")
    assert caught.value.retry_after_s == 7.0
    assert retry_after_s(None, 1000) == 1.0 and retry_after_s({"Retry-After": "soon"}, 3000) == 3.0


def test_redaction_of_query_credentials_and_known_secrets() -> None:
    text = redact(f"GET /x?timestamp=1&signature=deadbeef&apiKey=abc {SECRET}", (SECRET, "k"))
    assert "deadbeef" not in text and SECRET not in text and "abc" not in text and "timestamp=1" in text
    assert len(redact("x" * 1000)) == 300
