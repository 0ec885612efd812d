"""Stage 5: size candidates and check risk; every denial carries a rule and a reason."""

from tradepipe.core.risk.sizing import PortfolioState, SizingOutcome, plan_entries, volatility_factor

__all__ = ["PortfolioState", "SizingOutcome", "plan_entries", "volatility_factor"]
