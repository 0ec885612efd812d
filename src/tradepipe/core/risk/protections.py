"""Protections, registered by name and chosen in ``[protections] enabled`` (as freqtrade's).

A protection looks at the trade history and the equity marks at ``now_ms`` and returns the locks it wants;
locks are persisted by the caller, so a restart keeps them. ``lock_denial`` turns an active lock into a denial.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import ClassVar, Protocol, TypeVar

from tradepipe.config.sections import (
    CooldownParams,
    LowProfitParams,
    MaxDrawdownParams,
    ProtectionsSection,
    StoplossGuardParams,
)
from tradepipe.domain.risk import ANY, ClosedTrade, Lock, TradeHistory
from tradepipe.domain.strategy import Denial
from tradepipe.errors import ConfigurationError

MINUTE_MS = 60_000
STOP_PURPOSES = frozenset({"stop_loss", "trailing_stop"})


class Protection(Protocol):
    name: ClassVar[str]

    @classmethod
    def from_config(cls, cfg: ProtectionsSection) -> Protection: ...

    def check(self, history: TradeHistory, now_ms: int) -> list[Lock]: ...


REGISTRY: dict[str, type[Protection]] = {}
P = TypeVar("P", bound=type[Protection])


def register(cls: P) -> P:
    """Class decorator: make a protection selectable by its ``name`` in ``[protections] enabled``."""
    REGISTRY[cls.name] = cls
    return cls


def build(cfg: ProtectionsSection) -> tuple[Protection, ...]:
    """The enabled protections, in config order; an unknown name is a ``ConfigurationError`` naming the field."""
    unknown = [n for n in cfg.enabled if n not in REGISTRY]
    if unknown:
        raise ConfigurationError(f"protections.enabled: unknown protection(s) {unknown}; known: {sorted(REGISTRY)}")
    return tuple(REGISTRY[name].from_config(cfg) for name in cfg.enabled)


def evaluate(
    protections: Sequence[Protection], history: TradeHistory, now_ms: int, active: Iterable[Lock] = ()
) -> list[Lock]:
    """New locks at ``now_ms``: what each protection wants, minus scopes an active lock already holds."""
    held = {lock.scope for lock in active if lock.active(now_ms)}
    new: list[Lock] = []
    for protection in protections:
        for lock in protection.check(history, now_ms):
            if lock.active(now_ms) and lock.scope not in held:
                held.add(lock.scope)
                new.append(lock)
    return new


def lock_denial(locks: Iterable[Lock], venue: str, symbol: str, now_ms: int) -> Denial | None:
    for lock in locks:
        if lock.active(now_ms) and lock.covers(venue, symbol):
            return Denial(f"protection:{lock.protection}", f"{lock.reason} (locked until {_when(lock.until_ms)})")
    return None


class LockIndex:
    """Active locks at one instant, indexed by scope: a lookup per candidate instead of a scan."""

    def __init__(self, locks: Iterable[Lock], now_ms: int) -> None:
        self.now_ms = now_ms
        self._by_scope: dict[tuple[str, str], Lock] = {}
        for lock in locks:
            if lock.active(now_ms):
                self._by_scope.setdefault((lock.venue, lock.symbol), lock)

    def denial(self, venue: str, symbol: str) -> Denial | None:
        if not self._by_scope:
            return None
        scopes = self._by_scope
        lock = scopes.get((venue, symbol)) or scopes.get((ANY, symbol)) or scopes.get((venue, ANY))
        lock = lock or scopes.get((ANY, ANY))
        return lock_denial((lock,), venue, symbol, self.now_ms) if lock else None


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _recent(trades: Iterable[ClosedTrade], now_ms: int, minutes: int) -> list[ClosedTrade]:
    since = now_ms - minutes * MINUTE_MS
    return [t for t in trades if since <= t.closed_at_ms <= now_ms]


@register
@dataclass(frozen=True, slots=True)
class Cooldown:
    """No new entry into a (venue, symbol) for a while after any exit from it."""

    params: CooldownParams
    name: ClassVar[str] = "cooldown"

    @classmethod
    def from_config(cls, cfg: ProtectionsSection) -> Cooldown:
        return cls(cfg.cooldown)

    def check(self, history: TradeHistory, now_ms: int) -> list[Lock]:
        minutes = self.params.minutes
        last: dict[tuple[str, str], int] = {}
        for t in _recent(history.trades, now_ms, minutes):
            last[(t.venue, t.symbol)] = max(last.get((t.venue, t.symbol), 0), t.closed_at_ms)
        return [
            Lock(self.name, v, s, f"cooldown {minutes} min after the exit", at, at + minutes * MINUTE_MS)
            for (v, s), at in sorted(last.items())
        ]


@register
@dataclass(frozen=True, slots=True)
class StoplossGuard:
    """Too many stop-loss exits in the lookback: lock all entries (or the symbol's) for a while."""

    params: StoplossGuardParams
    name: ClassVar[str] = "stoploss_guard"

    @classmethod
    def from_config(cls, cfg: ProtectionsSection) -> StoplossGuard:
        return cls(cfg.stoploss_guard)

    def check(self, history: TradeHistory, now_ms: int) -> list[Lock]:
        p = self.params
        stops = [t for t in _recent(history.trades, now_ms, p.lookback_minutes) if t.purpose in STOP_PURPOSES]
        groups: dict[tuple[str, str], list[ClosedTrade]] = defaultdict(list)
        for t in stops:
            groups[(t.venue, t.symbol) if p.per_symbol else (ANY, ANY)].append(t)
        return [
            Lock(
                self.name,
                venue,
                symbol,
                f"{len(group)} stop-loss exits in {p.lookback_minutes} min ≥ {p.trade_limit}",
                last,
                last + p.lock_minutes * MINUTE_MS,
            )
            for (venue, symbol), group in sorted(groups.items())
            if len(group) >= p.trade_limit and (last := max(t.closed_at_ms for t in group))
        ]


@register
@dataclass(frozen=True, slots=True)
class MaxDrawdownBreaker:
    """Equity fell too far from its peak within the lookback: halt all entries for a period."""

    params: MaxDrawdownParams
    name: ClassVar[str] = "max_drawdown"

    @classmethod
    def from_config(cls, cfg: ProtectionsSection) -> MaxDrawdownBreaker:
        return cls(cfg.max_drawdown)

    def check(self, history: TradeHistory, now_ms: int) -> list[Lock]:
        p = self.params
        since = now_ms - p.lookback_minutes * MINUTE_MS
        marks = [e for at, e in history.equity if since <= at <= now_ms]
        if not marks:
            return []
        peak, last = max(marks), marks[-1]
        drawdown = (peak - last) / peak if peak > 0 else 0.0
        if drawdown < p.max_drawdown:
            return []
        reason = f"equity drawdown {drawdown:.1%} in {p.lookback_minutes} min ≥ {p.max_drawdown:.1%}"
        return [Lock(self.name, ANY, ANY, reason, now_ms, now_ms + p.lock_minutes * MINUTE_MS)]


@register
@dataclass(frozen=True, slots=True)
class LowProfitSymbols:
    """A (venue, symbol) whose recent closed trades summed below the required profit is locked."""

    params: LowProfitParams
    name: ClassVar[str] = "low_profit"

    @classmethod
    def from_config(cls, cfg: ProtectionsSection) -> LowProfitSymbols:
        return cls(cfg.low_profit)

    def check(self, history: TradeHistory, now_ms: int) -> list[Lock]:
        p = self.params
        groups: dict[tuple[str, str], list[ClosedTrade]] = defaultdict(list)
        for t in _recent(history.trades, now_ms, p.lookback_minutes):
            groups[(t.venue, t.symbol)].append(t)
        locks = []
        for (venue, symbol), group in sorted(groups.items()):
            profit = sum(t.profit_ratio for t in group)
            if len(group) >= p.trade_limit and profit < p.required_profit:
                last = max(t.closed_at_ms for t in group)
                reason = f"{len(group)} trades made {profit:.2%} < {p.required_profit:.2%}"
                locks.append(Lock(self.name, venue, symbol, reason, last, last + p.lock_minutes * MINUTE_MS))
        return locks
