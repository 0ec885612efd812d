"""Stage 5: size candidates and check risk; every denial carries a rule and a reason.

Modules: ``sizing`` (the seed formula, venue minimums), ``limits`` (portfolio limits and exposure caps),
``correlation`` (return correlations, cluster exposure, portfolio volatility), ``protections`` (registered,
persisted locks), ``history`` (closed trades for protections), ``capital`` (CapitalTracker, PositionGuard),
``sniper`` (new DEX pools) and ``plan`` (all of them over one cycle's decisions).
"""

from tradepipe.core.risk.capital import CapitalTracker, PositionGuard
from tradepipe.core.risk.correlation import ReturnPanel
from tradepipe.core.risk.plan import SizingOutcome, plan_entries
from tradepipe.core.risk.sizing import volatility_factor
from tradepipe.domain.risk import PortfolioState

__all__ = [
    "CapitalTracker",
    "PortfolioState",
    "PositionGuard",
    "ReturnPanel",
    "SizingOutcome",
    "plan_entries",
    "volatility_factor",
]
