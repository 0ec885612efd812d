"""Entry sizing with the seed's formula; venue minimums applied last, rounding down in Decimal.

size = balance × trade_size_pct × confidence × volatility_factor × (1 − drawdown / max_drawdown) × quality,
with volatility_factor = min(max_volatility_factor, target_volatility / realised volatility). Fractions are
computed for all candidates at once in float64; amounts are Decimal from there on.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import numpy.typing as npt

from tradepipe.config.sections import RiskSection
from tradepipe.core.execution.ids import client_order_id
from tradepipe.domain.market import MarketRules
from tradepipe.domain.money import ZERO, round_down_to_step, to_decimal
from tradepipe.domain.orders import IntentPurpose, OrderIntent, OrderType, Side
from tradepipe.domain.strategy import Decision, Denial

FloatArray = npt.NDArray[np.float64]


def volatility_factor(realised: float, cfg: RiskSection) -> float:
    if realised <= 0 or realised != realised:
        return cfg.max_volatility_factor
    return min(cfg.max_volatility_factor, cfg.target_volatility / realised)


def entry_fractions(
    scores: FloatArray, volatilities: FloatArray, quality: FloatArray, drawdown: float, cfg: RiskSection
) -> FloatArray:
    """The seed formula's fraction of the balance for each candidate (vectorised, ≥ 0)."""
    usable = np.isfinite(volatilities) & (volatilities > 0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        vol = np.where(usable, np.minimum(cfg.max_volatility_factor, cfg.target_volatility / volatilities), 0.0)
    vol = np.where(usable, vol, cfg.max_volatility_factor)
    headroom = max(0.0, 1 - drawdown / cfg.max_drawdown)
    fraction = cfg.trade_size_pct * scores * vol * headroom * quality
    return np.where(np.isfinite(fraction), np.maximum(fraction, 0.0), 0.0)


def order_amount(notional: Decimal, price: Decimal, rules: MarketRules) -> tuple[Decimal, Denial | None]:
    """The venue amount for at most ``notional`` quote, rounded down to the lot; a denial below the minimums."""
    amount = round_down_to_step(notional / price, rules.amount_quantum) if price > 0 and notional > 0 else ZERO
    while amount > 0 and amount * price > notional:  # a division rounded up in its last digit
        amount -= rules.amount_quantum
    if amount <= 0 or amount < rules.min_amount:
        return ZERO, Denial("venue_minimum", f"amount {amount} below the venue minimum {rules.min_amount}")
    if amount * price < rules.min_cost:
        return ZERO, Denial("venue_minimum", f"notional {amount * price:.2f} below the minimum {rules.min_cost}")
    return amount, None


def entry_intent(
    decision: Decision,
    amount: Decimal,
    price: Decimal,
    rules: MarketRules,
    cfg: RiskSection,
    run_id: str,
    reason: str,
    coid: str = "",
) -> OrderIntent:
    stop = price - to_decimal(cfg.stop_loss_atr * decision.atr)
    take = price + to_decimal(cfg.take_profit_atr * decision.atr)
    return OrderIntent(
        client_order_id=coid or client_order_id(run_id, decision.venue, decision.symbol, "buy", 0),
        run_id=run_id,
        venue=decision.venue,
        symbol=decision.symbol,
        side=Side.BUY,
        amount=amount,
        order_type=OrderType.MARKET,
        purpose=IntentPurpose.ENTRY,
        reference_price=price,
        stop_loss=round_down_to_step(stop, rules.price_quantum) if stop > 0 else None,
        take_profit=round_down_to_step(take, rules.price_quantum),
        reason=reason,
    )
