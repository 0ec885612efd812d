"""Error classes, grouped by what the caller should do: retry, skip, or halt."""

from __future__ import annotations


class TradepipeError(Exception):
    """Base of every error this package raises on purpose."""


# --- retry -----------------------------------------------------------------
class TransientError(TradepipeError):
    """Worth retrying with backoff: the same call may succeed later."""


class TransientVenueError(TransientError):
    """A read from a venue failed for a passing reason (network, timeout, 5xx)."""


class RateLimited(TransientVenueError):
    """The venue asked us to slow down; back off by its limit before retrying.

    ``retry_after_s`` is the venue's hint (Retry-After header or its documented limit) when one is known.
    """

    def __init__(self, message: str = "", retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


# --- look up, never resend -------------------------------------------------
class OrderOutcomeUnknown(TradepipeError):
    """A create/cancel call timed out: the order may or may not exist. Look it up by client id."""


# --- record, do not retry --------------------------------------------------
class VenueRejected(TradepipeError):
    """The venue refused the request (insufficient funds, bad symbol, min notional)."""

    def __init__(self, venue: str, reason: str) -> None:
        super().__init__(f"{venue} rejected the request: {reason}")
        self.venue = venue
        self.reason = reason


class InsufficientFunds(VenueRejected):
    """The venue lacks the balance for the order: refresh balances and re-size, do not retry."""


class InvalidTransition(TradepipeError):
    """An order event that the order state machine does not allow from the order's state."""


# --- halt the stage with a clear message ------------------------------------
class HaltError(TradepipeError):
    """Stop the stage: continuing would risk money or the ledger."""


class ConfigurationError(HaltError):
    """The configuration is invalid; the message names the field and what is allowed."""


class UnsafeName(ConfigurationError, ValueError):
    """A name that would become part of a file path (venue, symbol, timeframe, key) is not one safe component."""

    def __init__(self, field: str, value: object, allowed: str) -> None:
        super().__init__(f"{field}: {value!r} cannot name a file or directory; allowed: {allowed}")
        self.field = field
        self.value = value


class DataQualityError(HaltError):
    """Input data cannot be trusted (a corrupt file, an impossible candle)."""


class CorruptData(DataQualityError):
    """A stored file of one (venue, symbol) cannot be read; it was moved aside. Quarantine that symbol only."""

    def __init__(self, venue: str, symbol: str, detail: str) -> None:
        super().__init__(f"{venue} {symbol}: {detail}")
        self.venue = venue
        self.symbol = symbol
        self.detail = detail


class ReconciliationError(HaltError):
    """The ledger and a wallet disagree beyond what the policy can resolve."""


class LedgerError(HaltError):
    """The ledger refused a write that would make it inconsistent."""


class RunLocked(HaltError):
    """Another live run holds the ledger's run lock; nothing was written. The message names its pid and since when."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where


class LedgerCorrupted(HaltError):
    """The ledger's files are damaged or incomplete (a deleted SQLite WAL, a malformed database file): stop,
    keep the files, restore or start a new ledger, reconcile. The message names the file and these steps."""


def is_transient(exc: BaseException) -> bool:
    """True when retrying the same call is the right response to ``exc``."""
    return isinstance(exc, TransientError)
