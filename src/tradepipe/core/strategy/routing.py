"""The router (regime -> weighted strategies, from config) and the scorer (signals -> one score)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tradepipe.core.strategy.regime import RegimeCall
from tradepipe.domain.strategy import Direction, Signal


@dataclass(frozen=True, slots=True)
class Router:
    """``routes[regime] = {strategy: weight}`` from ``[strategy.routes]``.

    A regime listed with an empty table routes to nothing (e.g. ``trending_down = {}`` on a long-only
    spot book). A regime that is not listed at all falls back to every enabled strategy that declares
    it suits that regime, at weight 1.
    """

    routes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]
    suited: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (strategy, regimes it declares)

    @classmethod
    def from_config(
        cls, routes: Mapping[str, Mapping[str, float]], suited: Mapping[str, frozenset[str]] | None = None
    ) -> Router:
        for regime, table in routes.items():
            for name, weight in table.items():
                if not weight >= 0:
                    raise ValueError(f"strategy.routes.{regime}.{name}: weight must be >= 0, got {weight}")
        return cls(
            routes=tuple(sorted((r, tuple(sorted(t.items()))) for r, t in routes.items())),
            suited=tuple(sorted((n, tuple(sorted(r))) for n, r in (suited or {}).items())),
        )

    def route(self, call: RegimeCall) -> tuple[tuple[str, float], ...]:
        """The (strategy, weight) pairs for this regime, heaviest first, zero weights dropped."""
        table = dict(self.routes).get(call.regime.value)
        if table is None:
            table = tuple((name, 1.0) for name, regimes in self.suited if call.regime.value in regimes)
        return tuple(sorted(((n, w) for n, w in table if w > 0), key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True, slots=True)
class Scorer:
    """score = strength x agreement factor x regime factor x data quality, in [0, 1].

    * strength = sum(weight x confidence of LONG signals) / sum(weights), over the routed strategies
      that produced a signal (a strategy that failed is left out, not counted as FLAT);
    * agreement factor = ``1 - agreement_weight x (1 - LONG weight share)``;
    * regime factor = ``1 - regime_weight x (1 - regime confidence)``;
    * data quality = the gate's score for the symbol (1.0 when clean).
    """

    agreement_weight: float = 0.5
    regime_weight: float = 0.5

    def __post_init__(self) -> None:
        for name in ("agreement_weight", "regime_weight"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"strategy.{name} must be in [0, 1], got {getattr(self, name)}")

    def score(
        self, weighted: Sequence[tuple[Signal, float]], regime_confidence: float, quality: float = 1.0
    ) -> tuple[float, Direction, str]:
        active = [(s, w) for s, w in weighted if s.error is None and w > 0]
        total = sum(w for _, w in active)
        if not active or total <= 0:
            return 0.0, Direction.FLAT, "no strategy produced a signal"
        longs = [(s, w) for s, w in active if s.direction is Direction.LONG]
        strength = sum(w * s.confidence for s, w in longs) / total
        share = sum(w for _, w in longs) / total
        factor = (1 - self.agreement_weight * (1 - share)) * (1 - self.regime_weight * (1 - regime_confidence))
        score = min(1.0, max(0.0, strength * factor * quality))
        direction = Direction.LONG if longs and score > 0 else Direction.FLAT
        summary = (
            f"{len(longs)}/{len(active)} LONG (weight share {share:.2f}), strength {strength:.3f}, "
            f"regime confidence {regime_confidence:.2f}, quality {quality:.2f}"
        )
        return score, direction, summary
