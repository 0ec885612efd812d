"""The names a config may refer to, so a typo is refused at load instead of mid-cycle after ledger writes.

Config sits below ``core`` and ``adapters`` (they import it), so it cannot ask their registries; these lists
mirror them and ``tests/unit/test_config_names.py`` keeps each equal to its registry. Registering a new
plugin therefore means one more name here.
"""

from __future__ import annotations

from typing import Literal

SimVenue = Literal["sim-alpha", "sim-beta"]
"""CEX venues of the simulated market (``adapters.venues.sim_exchange.default_sim_venues``)."""

UniverseFilterName = Literal["quote", "blacklist", "whitelist", "price", "volume", "spread", "age", "volatility"]
"""``core.discovery.filters.FILTERS``."""

CandidateFilterName = Literal["min_score", "cooldown", "top_n"]
"""``core.strategy.filters.FILTERS``."""

ClassifierName = Literal["rules"]
"""``core.strategy.regime.CLASSIFIERS``."""

StrategyName = Literal["trend_following", "mean_reversion", "momentum", "breakout"]
"""``core.strategy.strategies.STRATEGIES``."""

STRATEGY_PARAMS: dict[str, dict[str, type]] = {
    "trend_following": {
        "cross_lookback": int, "slope_bars": int, "slope_atr": float, "min_atr_pct": float, "max_atr_pct": float,
    },
    "mean_reversion": {"entry_z": float, "max_rsi": float},
    "breakout": {"min_excess_atr": float, "volume_bars": int},
    "momentum": {"min_rsi": float, "max_rsi": float},
}  # fmt: skip
"""Each strategy's parameters (the fields of its class) and their types, for ``[strategy.params]``."""

RegimeName = Literal["trending_up", "trending_down", "ranging", "volatile", "breakout", "unknown"]
"""``core.strategy.regime.Regime``."""

ProtectionName = Literal["cooldown", "stoploss_guard", "max_drawdown", "low_profit"]
"""``core.risk.protections.REGISTRY``."""

ExitRuleName = Literal["stop_loss", "take_profit", "trailing_stop", "ladder", "time_exit", "break_even"]
"""``core.positions.rules.REGISTRY``."""
