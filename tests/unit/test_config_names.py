"""The names config accepts are exactly the registered ones (config cannot import the registries)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any, get_args

import pytest

from tradepipe.adapters.venues.sim_exchange import default_sim_venues
from tradepipe.clock import SimClock
from tradepipe.config import names
from tradepipe.core.discovery import filters as universe_filters
from tradepipe.core.positions import rules
from tradepipe.core.risk import protections
from tradepipe.core.strategy import filters as candidate_filters
from tradepipe.core.strategy import regime, strategies

IDS = ["universe-filters", "candidates", "classifiers", "strategies", "regimes", "protections", "exits", "venues"]


@pytest.mark.parametrize(
    ("literal", "registry"),
    [
        (names.UniverseFilterName, universe_filters.FILTERS),
        (names.CandidateFilterName, candidate_filters.FILTERS),
        (names.ClassifierName, regime.CLASSIFIERS),
        (names.StrategyName, strategies.STRATEGIES),
        (names.RegimeName, {r.value: r for r in regime.Regime}),
        (names.ProtectionName, protections.REGISTRY),
        (names.ExitRuleName, rules.REGISTRY),
        (names.SimVenue, default_sim_venues(7, SimClock(1_767_225_600_000))),
    ],
    ids=IDS,
)
def test_config_names_equal_the_registry(literal: Any, registry: dict[str, object]) -> None:
    assert sorted(get_args(literal)) == sorted(registry)


def test_strategy_parameters_equal_the_strategy_fields() -> None:
    found = {n: {f.name: f.type for f in fields(cls)} for n, cls in strategies.STRATEGIES.items()}
    assert found == {n: {k: t.__name__ for k, t in table.items()} for n, table in names.STRATEGY_PARAMS.items()}
