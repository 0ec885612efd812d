"""The router's choices from config, the scorer's formula and the candidate filters."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tradepipe.config import Settings
from tradepipe.core.strategy import FilterContext, Regime, RegimeCall, Router, Scorer, apply_filters
from tradepipe.domain.cycle import CycleContext
from tradepipe.domain.strategy import Decision, Direction, Signal
from tradepipe.errors import ConfigurationError
from tradepipe.stages import evaluate as evaluate_stage


def call(regime: Regime, confidence: float = 0.8) -> RegimeCall:
    return RegimeCall(regime, confidence, "test")


def test_shipped_routes_pick_and_weight_strategies_per_regime(tmp_path: Path) -> None:
    router = evaluate_stage.engine_spec(make_settings(tmp_path)).router
    assert router.route(call(Regime.TRENDING_UP)) == (("trend_following", 1.0), ("momentum", 0.7), ("breakout", 0.4))
    assert router.route(call(Regime.RANGING)) == (("mean_reversion", 1.0), ("trend_following", 0.5))
    assert router.route(call(Regime.BREAKOUT))[0] == ("breakout", 1.0)
    assert router.route(call(Regime.TRENDING_DOWN)) == ()  # long-only spot: stay out
    assert router.route(call(Regime.UNKNOWN)) == ()


def test_routes_come_from_config(tmp_path: Path) -> None:
    # overrides merge into the shipped tables: momentum added, mean_reversion switched off by a zero weight
    settings = make_settings(
        tmp_path,
        strategy={"routes": {"ranging": {"momentum": 2.0, "mean_reversion": 0.0}, "trending_down": {"breakout": 1}}},
    )
    router = evaluate_stage.engine_spec(settings).router
    assert router.route(call(Regime.RANGING)) == (("momentum", 2.0), ("trend_following", 0.5))
    assert router.route(call(Regime.TRENDING_DOWN)) == (("breakout", 1.0),)


def test_an_unlisted_regime_uses_the_strategies_that_declare_it() -> None:
    router = Router.from_config(
        {"ranging": {"momentum": 1.0}, "trending_down": {}},
        {"breakout": frozenset({"volatile", "breakout"}), "momentum": frozenset({"breakout"})},
    )
    assert router.route(call(Regime.VOLATILE)) == (("breakout", 1.0),)
    assert router.route(call(Regime.BREAKOUT)) == (("breakout", 1.0), ("momentum", 1.0))
    assert router.route(call(Regime.TRENDING_DOWN)) == ()  # listed but empty: nothing


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        ({"routes": {"ranging": {"astrology": 1.0}}}, "unknown strategy \\['astrology'\\]"),
        ({"routes": {"ranging": {"momentum": -1.0}}}, "strategy.routes: routes.ranging.momentum: weight must be >= 0"),
        (
            {"params": {"momentum": {"min_rsi": 55, "colour": 1}}},
            "strategy.params: params.momentum: unknown \\['colour'\\]",
        ),
        ({"regime_classifier": "crystal_ball"}, "strategy.regime_classifier: Input should be 'rules'"),
    ],
)
def test_bad_strategy_config_names_the_field(tmp_path: Path, strategy: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        evaluate_stage.engine_spec(make_settings(tmp_path, strategy=strategy))


def test_strategy_params_from_config_reach_the_strategy(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, strategy={"params": {"mean_reversion": {"entry_z": 2.5}}, "min_atr_pct": 0.001})
    params = dict(evaluate_stage.engine_spec(settings).strategy_params)
    assert dict(params["mean_reversion"]) == {"entry_z": 2.5}
    assert dict(params["trend_following"])["min_atr_pct"] == 0.001


def sig(name: str, direction: Direction, confidence: float, error: str | None = None) -> Signal:
    return Signal(name, direction, confidence, "test", error=error)


def test_scorer_combines_weights_agreement_regime_confidence_and_quality() -> None:
    scorer = Scorer(agreement_weight=0.5, regime_weight=0.5)
    weighted = [(sig("a", Direction.LONG, 0.8), 1.0), (sig("b", Direction.FLAT, 0.0), 1.0)]
    score, direction, _ = scorer.score(weighted, regime_confidence=0.6, quality=0.9)
    strength, share = 0.8 * 1.0 / 2.0, 0.5
    expected = strength * (1 - 0.5 * (1 - share)) * (1 - 0.5 * (1 - 0.6)) * 0.9
    assert direction is Direction.LONG and score == pytest.approx(expected)
    unanimous, _, _ = scorer.score([(sig("a", Direction.LONG, 0.8), 1.0)], 1.0)
    assert unanimous == pytest.approx(0.8)


def test_a_failed_strategy_is_left_out_of_the_score_not_counted_as_flat() -> None:
    scorer = Scorer()
    ok = [(sig("a", Direction.LONG, 0.7), 1.0)]
    failed = [*ok, (sig("b", Direction.FLAT, 0.0, error="boom"), 3.0)]
    assert scorer.score(failed, 1.0) == scorer.score(ok, 1.0)
    assert scorer.score([(sig("b", Direction.FLAT, 0.0, error="boom"), 1.0)], 1.0)[:2] == (0.0, Direction.FLAT)


def decision(symbol: str, score: float, direction: Direction = Direction.LONG) -> Decision:
    return Decision("sim-alpha", symbol, "trending_up", (), score, 1.0, 0.1, 0.01, action=direction)


def test_filters_hold_back_longs_with_the_first_reason_in_order() -> None:
    decisions = [
        decision("A/USDT", 0.9),
        decision("B/USDT", 0.6),
        decision("C/USDT", 0.04),
        decision("D/USDT", 0.5),
        decision("E/USDT", 0.0, Direction.FLAT),
    ]
    ctx = FilterContext(min_score=0.05, top_n=2, cooldown_cycles=3, recent_entries={("sim-alpha", "A/USDT"): 2})
    out = apply_filters(decisions, ["min_score", "cooldown", "top_n"], ctx)
    verdict = {d.symbol: (d.direction, d.filter_reason.split(":")[0]) for d in out}
    assert verdict == {
        "A/USDT": (Direction.FLAT, "cooldown"),
        "B/USDT": (Direction.LONG, ""),
        "C/USDT": (Direction.FLAT, "min_score"),
        "D/USDT": (Direction.LONG, ""),  # A is out, so D ranks 2nd
        "E/USDT": (Direction.FLAT, ""),  # not a LONG: nothing to filter
    }
    assert [d.symbol for d in out] == [d.symbol for d in decisions]
    assert out[1] == decisions[1]


def test_cooldown_expires_and_top_n_zero_means_no_limit() -> None:
    decisions = [decision(f"S{i}/USDT", 0.5) for i in range(30)]
    ctx = FilterContext(top_n=0, cooldown_cycles=2, recent_entries={("sim-alpha", "S0/USDT"): 3})
    assert all(d.direction is Direction.LONG for d in apply_filters(decisions, ["cooldown", "top_n"], ctx))


def test_unknown_filter_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"strategy\.filters\.1: Input should be 'min_score'"):
        make_settings(tmp_path, strategy={"filters": ["min_score", "vibes"]})
    settings = make_settings(tmp_path).model_copy(update={"strategy": Settings().strategy.model_copy(
        update={"filters": ("min_score", "vibes")})})  # fmt: skip
    with pytest.raises(ConfigurationError, match=r"strategy\.filters: unknown \['vibes'\]"):
        evaluate_stage.select_candidates(settings, CycleContext("r", 1, 0), [decision("A/USDT", 0.5)])


def test_router_is_hashable_and_equal_by_value() -> None:
    a = Router.from_config({"ranging": {"momentum": 1.0}})
    assert a == Router.from_config({"ranging": {"momentum": 1.0}}) and hash(a) == hash(replace(a))
