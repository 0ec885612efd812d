"""CapitalTracker (available vs reserved vs deployed cash per venue) and PositionGuard (one position per symbol).

Both are safe to share between threads: a reservation is checked and taken under one lock, so two concurrent
intents can never spend the same cash, and two entries can never claim the same (venue, symbol).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from tradepipe.domain.money import ZERO, to_decimal
from tradepipe.domain.strategy import Denial


@dataclass(frozen=True, slots=True)
class VenueCapital:
    """One venue's quote cash: ``available = cash − reserved − kept`` (never negative)."""

    cash: Decimal  # quote on the venue (the ledger's balance)
    reserved: Decimal  # held by open entry orders / approved intents not yet filled
    deployed: Decimal  # value of open positions
    kept: Decimal  # the reserve-cash floor never spent on entries

    @property
    def available(self) -> Decimal:
        return max(ZERO, self.cash - self.reserved - self.kept)


class CapitalTracker:
    """Cash per venue split into available, reserved (open orders) and deployed (positions)."""

    def __init__(
        self,
        cash: Mapping[str, Decimal],
        *,
        reserved: Mapping[str, Decimal] | None = None,
        deployed: Mapping[str, Decimal] | None = None,
        reserve_pct: float = 0.0,
    ) -> None:
        if not 0 <= reserve_pct < 1:
            raise ValueError(f"reserve_pct must be in [0, 1), got {reserve_pct}")
        reserved, deployed = reserved or {}, deployed or {}
        keep = to_decimal(reserve_pct)
        self._lock = threading.Lock()
        self._cash = {v: c for v, c in cash.items()}
        self._reserved = {v: reserved.get(v, ZERO) for v in cash}
        self._deployed = {v: deployed.get(v, ZERO) for v in cash}
        self._kept = {v: max(ZERO, (c + self._deployed[v]) * keep) for v, c in cash.items()}
        self._holds: dict[str, tuple[str, Decimal]] = {}

    def venue(self, venue: str) -> VenueCapital:
        with self._lock:
            return self._snapshot(venue)

    def available(self, venue: str) -> Decimal:
        with self._lock:
            return self._snapshot(venue).available

    def balance(self, venue: str) -> tuple[Decimal, Decimal]:
        """``(cash − reserved, available)`` in one lock: what sizing reads per candidate."""
        with self._lock:
            cash, reserved = self._cash.get(venue, ZERO), self._reserved.get(venue, ZERO)
            return cash - reserved, max(ZERO, cash - reserved - self._kept.get(venue, ZERO))

    def _snapshot(self, venue: str) -> VenueCapital:
        return VenueCapital(
            cash=self._cash.get(venue, ZERO),
            reserved=self._reserved.get(venue, ZERO),
            deployed=self._deployed.get(venue, ZERO),
            kept=self._kept.get(venue, ZERO),
        )

    def reserve(self, venue: str, key: str, amount: Decimal) -> bool:
        """Hold ``amount`` of the venue's available cash for ``key``; False (nothing held) if it is not there."""
        if amount < 0:
            raise ValueError(f"cannot reserve a negative amount {amount}")
        with self._lock:
            if key in self._holds or amount > self._snapshot(venue).available:
                return False
            self._reserved[venue] = self._reserved.get(venue, ZERO) + amount
            self._holds[key] = (venue, amount)
            return True

    def release(self, key: str) -> Decimal:
        """Give a hold back (order rejected or canceled); returns the amount released (0 if unknown)."""
        with self._lock:
            venue, amount = self._holds.pop(key, ("", ZERO))
            if venue:
                self._reserved[venue] -= amount
            return amount

    def settle(self, key: str, spent: Decimal) -> None:
        """The order filled: ``spent`` leaves cash for a position; the rest of the hold is released."""
        with self._lock:
            venue, amount = self._holds.pop(key)
            if spent > amount:
                self._holds[key] = (venue, amount)
                raise ValueError(f"{key}: spent {spent} exceeds the {amount} held")
            self._reserved[venue] -= amount
            self._cash[venue] -= spent
            self._deployed[venue] = self._deployed.get(venue, ZERO) + spent

    def holds(self) -> dict[str, tuple[str, Decimal]]:
        with self._lock:
            return dict(self._holds)


class PositionGuard:
    """At most one open position per (venue, symbol), unless scaling in is allowed."""

    def __init__(self, open_positions: Iterable[tuple[str, str]], *, allow_scale_in: bool = False) -> None:
        self._taken = set(open_positions)
        self._allow = allow_scale_in
        self._lock = threading.Lock()

    def check(self, venue: str, symbol: str) -> Denial | None:
        if not self._allow and (venue, symbol) in self._taken:
            return Denial("position_open", "a position in this symbol is already open on this venue")
        return None

    def claim(self, venue: str, symbol: str) -> Denial | None:
        """Take the slot for an approved entry; a denial if it is already taken (and scaling in is off)."""
        with self._lock:
            denial = self.check(venue, symbol)
            if denial is None:
                self._taken.add((venue, symbol))
            return denial
