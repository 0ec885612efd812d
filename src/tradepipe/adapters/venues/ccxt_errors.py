"""THE one place that maps ccxt's exceptions into ``tradepipe.errors``, by what the caller must do.

* rate limit / DDoS protection → ``RateLimited`` (with the venue's back-off hint) — retry later;
* timeouts and network errors on a read → ``TransientVenueError`` — retry with backoff and jitter;
* timeouts and network errors on create/cancel → ``OrderOutcomeUnknown`` — look the order up, never resend;
* insufficient funds → ``InsufficientFunds``; bad symbol, invalid order, bad request, order not found →
  ``VenueRejected`` — record, do not retry;
* authentication / permission → ``ConfigurationError`` — halt; the message never carries credentials.
"""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import ccxt

from tradepipe.errors import (
    ConfigurationError,
    InsufficientFunds,
    OrderOutcomeUnknown,
    RateLimited,
    TransientVenueError,
    VenueRejected,
)

WRITE_METHODS = frozenset({"create_order", "cancel_order", "edit_order"})
_SECRET_LIKE = re.compile(r"(?i)(signature|apikey|api_key|secret|key|token|nonce)=([^&\s\"']+)")
MAX_MESSAGE = 300
MIN_SECRET_LEN = 8


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` with query-string credentials and any known secret value replaced by ``***``, shortened."""
    out = _SECRET_LIKE.sub(lambda m: f"{m.group(1)}=***", text)
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LEN:  # a real key; a 1-char "secret" would shred every message
            out = out.replace(secret, "***")
    return out if len(out) <= MAX_MESSAGE else out[: MAX_MESSAGE - 1] + "…"


def retry_after_s(headers: Mapping[str, str] | None, rate_limit_ms: int) -> float:
    """The venue's Retry-After (seconds) when it sent one, else one second or its request interval if longer."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == "retry-after"), None)
    try:
        return max(float(value), 0.0) if value is not None else max(rate_limit_ms / 1000.0, 1.0)
    except ValueError:  # an HTTP date: fall back to the documented limit
        return max(rate_limit_ms / 1000.0, 1.0)


@contextmanager
def map_venue_errors(
    venue: str,
    method: str,
    *,
    rate_limit_ms: int = 0,
    secrets: tuple[str, ...] = (),
    headers: Callable[[], Mapping[str, str] | None] | None = None,
) -> Iterator[None]:
    """Run a ccxt call; re-raise its exception as the ``tradepipe.errors`` class that says what to do.

    ``headers`` returns the last HTTP response headers (ccxt's ``last_response_headers``) for a Retry-After hint.
    """
    try:
        with decimal.localcontext():  # ccxt's decimal_to_precision rewrites the thread's context (ROUND_HALF_UP)
            yield
    except (ccxt.RateLimitExceeded, ccxt.DDoSProtection) as exc:
        hint = retry_after_s(headers() if headers else None, rate_limit_ms)
        raise RateLimited(f"{venue} {method}: rate limited: {redact(str(exc), secrets)}", retry_after_s=hint) from None
    except ccxt.AuthenticationError as exc:  # includes PermissionDenied, AccountSuspended
        raise ConfigurationError(
            f"live venue {venue}: the API key was refused for {method} ({type(exc).__name__}); "
            "check the key, its permissions and the [live] api_key_env / api_secret_env settings"
        ) from None
    except ccxt.InsufficientFunds as exc:
        raise InsufficientFunds(venue, f"insufficient funds: {redact(str(exc), secrets)}") from None
    except (ccxt.RequestTimeout, ccxt.NetworkError) as exc:  # NetworkError covers ExchangeNotAvailable, timeouts
        detail = f"{venue} {method}: {type(exc).__name__}: {redact(str(exc), secrets)}"
        if method in WRITE_METHODS:
            raise OrderOutcomeUnknown(f"{detail}; the outcome is unknown: look the order up by client id") from None
        raise TransientVenueError(detail) from None
    except (ccxt.BadRequest, ccxt.InvalidOrder, ccxt.OrderNotFound, ccxt.NotSupported) as exc:
        # BadSymbol is a BadRequest; DuplicateOrderId, OrderImmediatelyFillable ... are InvalidOrder
        raise VenueRejected(venue, f"{type(exc).__name__}: {redact(str(exc), secrets)}") from None
    except ccxt.ExchangeError as exc:
        raise VenueRejected(venue, f"{type(exc).__name__}: {redact(str(exc), secrets)}") from None
    except ccxt.BaseError as exc:  # OperationFailed and anything newer: a passing failure, outcome unknown on writes
        detail = f"{venue} {method}: {type(exc).__name__}: {redact(str(exc), secrets)}"
        if method in WRITE_METHODS:
            raise OrderOutcomeUnknown(detail) from None
        raise TransientVenueError(detail) from None
