"""Hypothesis over every config field: a wrong-typed or out-of-range value is a ``ConfigurationError`` naming
that field, never another exception (in-process, through ``load_settings``, as a TOML file or env would give it).

~200 examples in ``make test``, 2,000 under the ``slow`` mark (``make test-all``).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import annotated_types as at
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from tradepipe.config import Settings, load_settings
from tradepipe.errors import ConfigurationError

SHIPPED = Path(__file__).resolve().parents[2] / "tradepipe.toml"  # equal to the defaults
Leaf = tuple[tuple[str, ...], FieldInfo]


def leaves(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[Leaf]:
    """Every field of ``model``, sections (tables) and the fields in them, with its dotted path."""
    found: list[Leaf] = []
    for name, info in model.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            found += [((*prefix, name), info), *leaves(kind, (*prefix, name))]
        else:
            found.append(((*prefix, name), info))
    return found


LEAVES = leaves(Settings)
TEXT = st.text(max_size=12)
NOT_NUMBER_TEXT = TEXT.filter(lambda s: not _parses_as_float(s))
ALIEN = st.one_of(  # TOML values no scalar number/str/bool field accepts
    st.lists(st.integers(), min_size=1, max_size=3),
    st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), min_size=1, max_size=2),
    st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2100, 1, 1)),
    st.dates(),
)
BOOL_WORDS = {"0", "off", "f", "false", "n", "no", "1", "on", "t", "true", "y", "yes"}


def _parses_as_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _bounds(info: FieldInfo) -> list[Any]:
    return [m for m in info.metadata if isinstance(m, at.Gt | at.Ge | at.Lt | at.Le)]


def _out_of_range(info: FieldInfo, integer: bool) -> list[st.SearchStrategy[Any]]:
    numbers: list[st.SearchStrategy[Any]] = []
    for bound in _bounds(info):
        if isinstance(bound, at.Gt | at.Ge):
            edge, below = (bound.gt, False) if isinstance(bound, at.Gt) else (bound.ge, True)
            if integer:
                numbers.append(st.integers(max_value=math.ceil(edge) - (1 if below else 0), min_value=-(10**12)))
            else:
                numbers.append(st.floats(max_value=edge, exclude_max=below, min_value=-1e12))
        else:
            edge, above = (bound.lt, False) if isinstance(bound, at.Lt) else (bound.le, True)
            if integer:
                numbers.append(st.integers(min_value=math.floor(edge) + (1 if above else 0), max_value=10**12))
            else:
                numbers.append(st.floats(min_value=edge, exclude_min=above, max_value=1e12))
    return numbers


def wrong_scalar(kind: Any, info: FieldInfo | None) -> st.SearchStrategy[Any]:
    """Values that are never valid for one scalar of type ``kind``."""
    if kind is bool:
        odd_ints = st.integers().filter(lambda n: n not in (0, 1))
        return st.one_of(ALIEN, odd_ints, TEXT.filter(lambda s: s.strip().lower() not in BOOL_WORDS))
    if kind in (int, float):
        wrong = [ALIEN, st.booleans(), NOT_NUMBER_TEXT, st.sampled_from([math.inf, -math.inf, math.nan])]
        if kind is int:
            wrong.append(st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()))
        return st.one_of(*wrong, *(_out_of_range(info, kind is int) if info else []))
    if get_origin(kind) is Literal:
        choices = set(get_args(kind))
        return st.one_of(TEXT.filter(lambda s: s not in choices), st.integers(), st.booleans(), ALIEN)
    if kind in (str, Path):
        return st.one_of(st.integers(), st.floats(), st.booleans(), ALIEN)
    raise AssertionError(f"no wrong values for {kind!r}: teach the fuzz test this type")


def _scalar_of(kind: Any) -> Any:
    """The value type inside ``tuple[X, ...]`` / ``tuple[name, X]`` pairs (any depth, through Annotated)."""
    while get_origin(kind) is tuple or hasattr(kind, "__metadata__"):
        args = get_args(kind)
        kind = args[0] if hasattr(kind, "__metadata__") or args[-1] is Ellipsis else args[-1]
    return kind


def wrong_value(leaf: Leaf) -> st.SearchStrategy[Any]:
    path, info = leaf
    kind = info.annotation
    if isinstance(kind, type) and issubclass(kind, BaseModel):  # a table given as something else, or unknown keys
        unknown = st.dictionaries(TEXT.filter(lambda k: k not in kind.model_fields), st.integers(), min_size=1)
        return st.one_of(st.integers(), st.floats(), st.booleans(), TEXT, st.lists(st.integers(), max_size=2), unknown)
    if path == ("database_url",):
        return st.one_of(st.integers(), st.booleans(), ALIEN, TEXT.filter(lambda s: "://" not in s).filter(bool))
    if path == ("server", "database_url"):
        return st.one_of(st.integers(), st.booleans(), st.sampled_from(["mysql://u:p@h/d", "sqlite:///x.db", "x"]))
    if get_origin(kind) is tuple:
        element = _scalar_of(kind)
        inner = wrong_scalar(element, info if element in (int, float) else None)
        if path == ("sim", "fail_first"):
            return st.one_of(st.integers(), st.booleans(), st.dictionaries(st.just("fetch_tickers"), inner, min_size=1))
        if path[-1] in ("routes", "params"):
            return st.one_of(
                st.integers(), st.booleans(), TEXT.filter(bool),
                st.dictionaries(st.just("momentum"), st.dictionaries(st.just("w"), inner, min_size=1), min_size=1),
            )  # fmt: skip
        return st.one_of(st.integers(), st.booleans(), st.lists(inner, min_size=1, max_size=3))
    return wrong_scalar(kind, info)


def nested(path: tuple[str, ...], value: Any) -> dict[str, Any]:
    for part in reversed(path):
        value = {part: value}
    return value


CASES = st.sampled_from(LEAVES).flatmap(lambda leaf: st.tuples(st.just(leaf), wrong_value(leaf)))


def check(case: tuple[Leaf, Any]) -> None:
    (path, _info), value = case
    dotted = ".".join(path)
    with pytest.raises(ConfigurationError) as caught:  # any other exception fails the example
        load_settings(SHIPPED, nested(path, value))
    assert f"  {dotted}" in str(caught.value), (dotted, value, str(caught.value))


FUZZ = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@pytest.fixture(autouse=True)
def _no_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    for name in [n for n in os.environ if n.upper().startswith("TRADEPIPE_")]:
        monkeypatch.delenv(name)


def test_the_fuzz_reaches_every_field() -> None:
    paths = {p for p, _ in LEAVES}
    assert len(LEAVES) > 150 and {("protections", "cooldown", "minutes"), ("protections", "cooldown")} <= paths
    for leaf in LEAVES:
        wrong_value(leaf)  # raises for a field type the fuzz test does not know yet


@settings(FUZZ, max_examples=200)
@given(CASES)
def test_a_wrong_value_in_any_field_is_a_configuration_error_naming_it(case: tuple[Leaf, Any]) -> None:
    check(case)


@pytest.mark.slow
@settings(FUZZ, max_examples=2_000)
@given(CASES)
def test_a_wrong_value_in_any_field_is_a_configuration_error_naming_it_2000(case: tuple[Leaf, Any]) -> None:
    check(case)
