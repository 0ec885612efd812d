"""Stage 5 in one call: every LONG decision comes back approved with an intent or denied with a reason.

Portfolio-wide checks (halt, drawdown, daily loss, global locks) refuse everything at once; the seed formula's
fractions and the correlation model are computed for all candidates together (numpy); then candidates are taken
best score first, each one cut to the tightest limit and counted as held for the ones after it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from tradepipe.config.sections import RiskSection
from tradepipe.core.execution.ids import client_order_id
from tradepipe.core.risk import limits
from tradepipe.core.risk.capital import CapitalTracker, PositionGuard
from tradepipe.core.risk.correlation import ReturnPanel, RiskModel
from tradepipe.core.risk.protections import LockIndex, lock_denial
from tradepipe.core.risk.sizing import entry_fractions, entry_intent, order_amount
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import ZERO, to_decimal, to_float
from tradepipe.domain.orders import OrderIntent
from tradepipe.domain.risk import ANY, PortfolioState
from tradepipe.domain.strategy import Decision, Denial, Direction

CENT = Decimal("1e-8")


@dataclass(frozen=True, slots=True)
class SizingOutcome:
    intents: tuple[OrderIntent, ...]
    denials: tuple[tuple[Decision, Denial], ...]
    approved: tuple[Decision, ...] = field(default=())


def plan_entries(
    decisions: Sequence[Decision],
    state: PortfolioState,
    rules: Mapping[tuple[str, str], MarketRules],
    cfg: RiskSection,
    *,
    run_id: str,
    quality_factor: Mapping[tuple[str, str], float] | None = None,
    returns: ReturnPanel | None = None,
) -> SizingOutcome:
    """Entry intents for LONG decisions, best score first; every refusal comes back as a denial."""
    longs = sorted((d for d in decisions if d.direction is Direction.LONG), key=lambda d: (-d.score, d.symbol))
    blanket = limits.portfolio_denial(state, cfg) or lock_denial(state.locks, ANY, ANY, state.as_of_ms)
    if blanket is not None or not longs:
        return SizingOutcome((), tuple((d, blanket) for d in longs if blanket is not None), ())
    quality = quality_factor or {}
    fractions = entry_fractions(
        np.fromiter((d.sizing_confidence for d in longs), np.float64, len(longs)),
        np.fromiter((d.volatility for d in longs), np.float64, len(longs)),
        np.fromiter((quality.get((d.venue, d.symbol), 1.0) for d in longs), np.float64, len(longs)),
        state.drawdown,
        cfg,
    )
    planner = _Planner(state, rules, cfg, run_id, longs, returns or ReturnPanel.empty())
    intents: list[OrderIntent] = []
    approved: list[Decision] = []
    denials: list[tuple[Decision, Denial]] = []
    for decision, fraction in zip(longs, fractions.tolist(), strict=True):
        result = planner.consider(decision, fraction)
        if isinstance(result, Denial):
            denials.append((decision, result))
        else:
            intents.append(result)
            approved.append(decision)
    return SizingOutcome(tuple(intents), tuple(denials), tuple(approved))


class _Planner:
    """The mutable book of one planning call: cash, exposures, correlations, open slots."""

    def __init__(
        self,
        state: PortfolioState,
        rules: Mapping[tuple[str, str], MarketRules],
        cfg: RiskSection,
        run_id: str,
        longs: Sequence[Decision],
        returns: ReturnPanel,
    ) -> None:
        self.state, self.rules, self.cfg, self.run_id = state, rules, cfg, run_id
        deployed: dict[str, Decimal] = {}
        for (venue, _), value in state.exposures.items():
            deployed[venue] = deployed.get(venue, ZERO) + value
        self.capital = CapitalTracker(
            state.cash, reserved=state.reserved, deployed=deployed, reserve_pct=cfg.reserve_cash_pct
        )
        self.guard = PositionGuard(state.open_positions, allow_scale_in=cfg.allow_scale_in)
        self.book = limits.ExposureBook.from_state(state, cfg)
        self.locks = LockIndex(state.locks, state.as_of_ms)
        self.open_count = len(state.open_positions)
        self._short: dict[tuple[str, Decimal, Decimal], Denial] = {}
        self.equity = to_float(state.equity)
        held = set(state.exposures) | state.open_positions
        self.model = RiskModel(
            [*sorted(held), *(k for k in dict.fromkeys((d.venue, d.symbol) for d in longs) if k not in held)],
            returns,
            window=cfg.correlation_window,
            fallback_vol={(d.venue, d.symbol): d.volatility for d in longs},
            default_vol=cfg.target_volatility,
            exposure={k: to_float(v) for k, v in state.exposures.items()},
            equity=self.equity,
            cluster_threshold=cfg.correlation_scale_above,
        )

    def consider(self, d: Decision, fraction: float) -> OrderIntent | Denial:
        key = (d.venue, d.symbol)
        denial = (
            self.locks.denial(d.venue, d.symbol)
            or self.guard.check(d.venue, d.symbol)
            or limits.open_positions_denial(self.open_count, self.cfg)
            or limits.confidence_denial(d.score, self.cfg)
        )
        if denial is not None:
            return denial
        rules = self.rules.get(key)
        if rules is None:
            return Denial("market_rules", "venue publishes no market rules for this symbol")
        if not (math.isfinite(d.last_price) and d.last_price > 0):
            return Denial("price", f"no usable last price ({d.last_price})")
        index = self.model.index[key]
        factor, denial, note = self._correlation_factor(index)
        if denial is not None:
            return denial
        return self._size(d, rules, index, fraction * factor, note)

    def _correlation_factor(self, index: int) -> tuple[float, Denial | None, str]:
        """1 below the scale level; falling linearly to ``correlation_min_factor`` at the deny level; then a denial."""
        cfg = self.cfg
        rho, other = self.model.correlation_with_held(index)
        if other is None or rho < cfg.correlation_scale_above:
            return 1.0, None, ""
        with_ = f"{other[1]} on {other[0]}"
        if rho >= cfg.correlation_deny_above:
            denial = Denial("correlation", f"correlation {rho:.2f} with {with_} ≥ {cfg.correlation_deny_above}")
            return 0.0, denial, ""
        span = max(cfg.correlation_deny_above - cfg.correlation_scale_above, 1e-12)
        factor = 1.0 - (rho - cfg.correlation_scale_above) / span * (1.0 - cfg.correlation_min_factor)
        return factor, None, f"; correlation {rho:.2f} with {with_}: ×{factor:.2f}"

    def _rooms(self, d: Decision, index: int) -> list[limits.Room]:
        cfg = self.cfg
        cluster_cap = cfg.max_cluster_exposure_pct * self.equity
        return [
            self.book.tightest(d.venue, d.symbol),
            limits.Room("max_cluster_exposure", cluster_cap - float(self.model.cluster[index]), cluster_cap),
            limits.Room(
                "max_portfolio_volatility",
                self.model.vol_room(index, cfg.max_portfolio_volatility),
                cfg.max_portfolio_volatility,
            ),
        ]

    def _size(self, d: Decision, rules: MarketRules, index: int, fraction: float, note: str) -> OrderIntent | Denial:
        balance, available = self.capital.balance(d.venue)
        if available < rules.min_cost:  # the common denial once a venue's cash is spent: one Denial per situation
            key = (d.venue, available, rules.min_cost)
            if (short := self._short.get(key)) is None:
                detail = f"{available:.2f} available < the venue minimum {rules.min_cost}"
                short = self._short[key] = Denial("insufficient_cash", detail)
            return short
        wanted = max(ZERO, balance * to_decimal(round(fraction, 12)))
        cash_cap = available / (1 + rules.taker_fee)
        notional, binding = min(wanted, cash_cap), None
        for room in self._rooms(d, index):
            if room.room <= 0:
                return Denial(room.rule, f"no room left under the cap ({room.cap:.4g})")
            if room.room < to_float(notional):
                notional, binding = min(notional, to_decimal(room.room, CENT)), room
        price = to_decimal(d.last_price)
        amount, denial = order_amount(notional, price, rules)
        if denial is not None:
            if binding is not None:
                return Denial(binding.rule, f"cut to {notional:.2f} by the cap ({binding.cap:.4g}); {denial.detail}")
            if notional < wanted:
                return Denial("insufficient_cash", f"{available:.2f} available; {denial.detail}")
            return denial
        cost = amount * price * (1 + rules.taker_fee)
        coid = client_order_id(self.run_id, d.venue, d.symbol, "buy", 0)
        if not self.capital.reserve(d.venue, coid, cost):
            return Denial("insufficient_cash", f"{cost:.2f} needed, {self.capital.available(d.venue):.2f} available")
        if (taken := self.guard.claim(d.venue, d.symbol)) is not None:
            self.capital.release(coid)
            return taken
        spent = to_float(amount * price)
        self.book.add(d.venue, d.symbol, spent)
        self.model.add(index, spent, from_row=0 if self.cfg.allow_scale_in else index + 1)
        self.open_count += 1
        reason = f"score {d.score:.3f}, fraction {fraction:.4f} of {balance:.2f}{note}"
        if binding is not None:
            reason += f"; cut by {binding.rule}"
        elif cash_cap < wanted:
            reason += "; cut to the available cash"
        return entry_intent(d, amount, price, rules, self.cfg, self.run_id, reason, coid)
