"""Configuration: defaults run paper on the simulator; every kind of mistake names the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradepipe.config import Settings, load_settings
from tradepipe.errors import ConfigurationError

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tradepipe.toml"
    path.write_text(text)
    return path


def test_shipped_config_equals_the_defaults_and_runs_paper_on_the_simulator() -> None:
    shipped = load_settings(REPO / "tradepipe.toml")
    assert shipped == Settings()
    assert shipped.mode == "paper"
    assert shipped.sim.venues == ("sim-alpha", "sim-beta")
    assert shipped.ledger_url == "sqlite:///state/ledger.db"


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.seed = 3  # type: ignore[misc]


def test_environment_overrides_the_file_and_explicit_overrides_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "seed = 1\n[risk]\ntrade_size_pct = 0.1\n")
    monkeypatch.setenv("TRADEPIPE_RISK__TRADE_SIZE_PCT", "0.2")
    monkeypatch.setenv("TRADEPIPE_SEED", "2")
    settings = load_settings(path, {"seed": 3})
    assert settings.risk.trade_size_pct == 0.2
    assert settings.seed == 3


@pytest.mark.parametrize(
    ("text", "field", "allowed"),
    [
        ("[risk]\ntrade_sise_pct = 0.1\n", "risk.trade_sise_pct", "allowed keys here: allow_scale_in"),
        ("bogus = 1\n", "bogus", "allowed keys here: alerts, dask, database_url, discovery"),
        ("[discovery]\nmax_symbols = 'many'\n", "discovery.max_symbols", "valid integer"),
        ("[risk]\ntrade_size_pct = 5\n", "risk.trade_size_pct", "less than or equal to 1"),
        ("[risk]\nmax_drawdown = -0.1\n", "risk.max_drawdown", "greater than 0"),
        ("mode = 'yolo'\n", "mode", "'paper' or 'live'"),
        ("[marketdata]\ntimeframe = '7m'\n", "marketdata.timeframe", "'1m', '5m', '15m', '1h', '4h' or '1d'"),
        ("[strategy]\nfast = 30\nslow = 20\n", "strategy.fast", "smaller than strategy.slow"),
        ("mode = 'live'\n", "live", "explicit opt-in"),
    ],
    ids=[
        "unknown-key",
        "unknown-top-key",
        "wrong-type",
        "out-of-range",
        "negative",
        "bad-choice",
        "bad-timeframe",
        "inconsistent",
        "live-without-opt-in",
    ],
)
def test_each_kind_of_mistake_names_the_field_and_what_is_allowed(
    tmp_path: Path, text: str, field: str, allowed: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert field in message
    assert allowed in message


def test_bad_environment_value_names_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEPIPE_DASK__N_WORKERS", "0")
    with pytest.raises(ConfigurationError, match=r"dask.n_workers: Input should be greater than or equal to 1"):
        load_settings(write(tmp_path, ""))


def test_invalid_toml_and_missing_file_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_settings(write(tmp_path, "[risk\n"))
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[risk]\ntrade_size_pct = true\n", "risk.trade_size_pct"),
        ("seed = true\n", "seed"),
        ("[discovery]\nmax_symbols = false\n", "discovery.max_symbols"),
        ("[exits]\nladder_levels_pct = [0.03, true]\n", "exits.ladder_levels_pct"),
        ("[strategy.routes]\nranging = {momentum = true}\n", "strategy.routes"),
        ("[sim]\nfail_first = {fetch_tickers = true}\n", "sim.fail_first"),
    ],
)
def test_a_boolean_is_never_read_as_a_number(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigurationError, match="a boolean is not a number") as caught:
        load_settings(write(tmp_path, text))
    assert f"  {field}" in str(caught.value)


def test_booleans_and_toml_integers_for_floats_still_load(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[risk]\nstop_loss_atr = 2\nallow_scale_in = true\n"))
    assert settings.risk.stop_loss_atr == 2.0 and settings.risk.allow_scale_in is True


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[reconcile]\ntolerance = inf\n", "reconcile.tolerance"),
        ("[risk]\ntarget_volatility = nan\n", "risk.target_volatility"),
        ("[strategy]\nmax_atr_pct = -inf\n", "strategy.max_atr_pct"),
        ("[exits]\nladder_levels_pct = [0.03, inf]\n", "exits.ladder_levels_pct"),
        ("[strategy.routes]\nranging = {momentum = nan}\n", "strategy.routes"),
    ],
)
def test_infinite_and_nan_numbers_are_refused(tmp_path: Path, text: str, field: str) -> None:
    with pytest.raises(ConfigurationError, match="finite number") as caught:
        load_settings(write(tmp_path, text))
    assert f"  {field}" in str(caught.value)


def test_an_infinite_number_from_the_environment_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEPIPE_RECONCILE__TOLERANCE", "inf")
    with pytest.raises(ConfigurationError, match=r"reconcile\.tolerance: Input should be a finite number"):
        load_settings(write(tmp_path, ""))


@pytest.mark.parametrize(
    ("text", "field", "allowed"),
    [
        ("[sim]\nvenues = ['sim-alpha', 'sim-nowhere']\n", "sim.venues.1", "'sim-alpha' or 'sim-beta'"),
        ("[sim]\nvenues = []\n", "sim.venues", "at least 1 item"),
        ("[marketdata]\nfallback_sources = ['binance']\n", "marketdata.fallback_sources", "unknown source(s)"),
        ("[discovery]\nfilters = ['quote', 'vibes']\n", "discovery.filters.1", "'quote', 'blacklist'"),
        ("[protections]\nenabled = ['nope']\n", "protections.enabled.0", "'cooldown', 'stoploss_guard'"),
        ("[strategy]\nfilters = ['vibes']\n", "strategy.filters.0", "'min_score', 'cooldown' or 'top_n'"),
        ("[strategy]\nregime_classifier = 'crystal_ball'\n", "strategy.regime_classifier", "'rules'"),
        ("[strategy.routes]\nranging = {astrology = 1.0}\n", "strategy.routes", "unknown strategy ['astrology']"),
        ("[strategy.routes]\nsideways = {momentum = 1.0}\n", "strategy.routes", "unknown regime 'sideways'"),
        ("[strategy.routes]\nranging = {momentum = -1.0}\n", "strategy.routes", "weight must be >= 0"),
        ("[strategy.params]\nastrology = {x = 1}\n", "strategy.params", "unknown strategy ['astrology']"),
        ("[strategy.params]\nmomentum = {colour = 1}\n", "strategy.params", "params.momentum: unknown ['colour']"),
        ("[strategy.params]\nbreakout = {volume_bars = 2.5}\n", "strategy.params", "a whole number is needed"),
        ("[exits]\nrules = ['moon']\n", "exits.rules.0", "'stop_loss', 'take_profit'"),
        ("[marketdata]\nccxt_sources = ['Binance ']\n", "marketdata.ccxt_sources.0", "should match pattern"),
        ("[alerts]\nwebhook_url = 'http://[bad'\n", "alerts.webhook_url", "not a URL"),
        ("[alerts]\nwebhook_url = 'ftp://h/x'\n", "alerts.webhook_url", "http:// or https://"),
    ],
)
def test_every_referenced_name_exists_at_load(tmp_path: Path, text: str, field: str, allowed: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write(tmp_path, text))
    message = str(caught.value)
    assert f"  {field}" in message
    assert allowed in message


def test_a_fallback_source_may_be_a_ccxt_source(tmp_path: Path) -> None:
    text = "[marketdata]\nccxt_sources = ['binance']\nfallback_sources = ['binance', 'sim-beta']\n"
    assert load_settings(write(tmp_path, text)).marketdata.fallback_sources == ("binance", "sim-beta")


def test_a_config_that_is_not_utf8_or_not_a_file_names_the_file(tmp_path: Path) -> None:
    latin = tmp_path / "latin1.toml"
    latin.write_bytes("[paper]\nquote = 'EUR€'\n".encode("cp1252"))
    with pytest.raises(ConfigurationError, match=rf"config file {latin} is not UTF-8 text"):
        load_settings(latin)
    with pytest.raises(ConfigurationError, match=rf"config file {tmp_path} cannot be read: .*directory"):
        load_settings(tmp_path)


def test_a_state_dir_that_is_a_file_is_refused(tmp_path: Path) -> None:
    taken = tmp_path / "taken"
    taken.write_text("not a directory")
    with pytest.raises(ConfigurationError, match=r"state_dir: .* is a file, not a directory"):
        load_settings(write(tmp_path, f'state_dir = "{taken}"\n'))
    with pytest.raises(ConfigurationError, match=r"state_dir: .* is a file, not a directory"):
        load_settings(write(tmp_path, f'state_dir = "{taken / "below"}"\n'))


def test_bad_json_in_an_environment_override_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEPIPE_SIM__VENUES", "[bad")
    with pytest.raises(ConfigurationError, match=r"TRADEPIPE_SIM__VENUES \(sim\.venues\): not valid JSON"):
        load_settings(write(tmp_path, ""))
    monkeypatch.setenv("TRADEPIPE_SIM__VENUES", '["sim-beta"]')
    assert load_settings(write(tmp_path, "")).sim.venues == ("sim-beta",)


def test_bad_json_in_a_top_level_environment_override_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRADEPIPE_RISK", "{nope")
    with pytest.raises(ConfigurationError, match=r"TRADEPIPE_RISK \(risk\): not valid JSON"):
        load_settings(write(tmp_path, ""))


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("nonsense", "not a SQLAlchemy URL"),
        ("mysql://u:hunter2@db/x", "only sqlite:///<file> or postgresql+psycopg://"),
        ("postgresql+asyncpg://u:hunter2@db/x", "only sqlite:///<file> or postgresql+psycopg://"),
        ("postgresql://u:hunter2@db:abc/x", "not a SQLAlchemy URL"),
        ("postgresql://u:hunter2@db:99999/x", "port 99999"),
        ("sqlite://", "a file"),
        ("sqlite:///:memory:", "a file"),
    ],
)
def test_a_bad_database_url_names_the_field_and_hides_the_password(tmp_path: Path, url: str, problem: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write(tmp_path, f'database_url = "{url}"\n'))
    message = str(caught.value)
    assert "  database_url: " in message and problem in message
    assert "hunter2" not in message


def test_accepted_database_urls_and_the_psycopg_default(tmp_path: Path) -> None:
    ok = ["", f"sqlite:///{tmp_path}/l.db", "postgresql+psycopg://u:p%40ss@db:5432/x?options=-csearch_path%3Ds"]
    for url in ok:
        assert load_settings(write(tmp_path, f'database_url = "{url}"\n')).database_url == url
    plain = load_settings(write(tmp_path, 'database_url = "postgresql://u:pw@db/x"\n'))
    assert plain.database_url == "postgresql+psycopg://u:pw@db/x"  # psycopg (v3) is the installed driver


def test_server_database_url_must_be_postgresql(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"server\.database_url: .*PostgreSQL") as caught:
        load_settings(write(tmp_path, '[server]\ndatabase_url = "mysql://u:hunter2@db/x"\n'))
    assert "hunter2" not in str(caught.value)


def test_passwords_never_appear_in_config_errors_or_reprs(tmp_path: Path) -> None:
    url = "postgresql+psycopg://trader:hunter2@db:5432/ledger"
    with pytest.raises(ConfigurationError) as caught:
        load_settings(write(tmp_path, 'database_url = "mysql://trader:hunter2@db/x"\nseed = -1\n'))
    assert "hunter2" not in str(caught.value) and "trader:***@db" in str(caught.value)
    settings = load_settings(write(tmp_path, f'database_url = "{url}"\n[server]\ndatabase_url = "{url}"\n'))
    assert settings.database_url == url and settings.ledger_url == url  # the live object keeps the secret
    for text in (repr(settings), str(settings), repr(settings.server), settings.model_dump_json()):
        assert "hunter2" not in text
        assert "trader:***@db" in text


def test_accepted_urls_parse_the_same_with_sqlalchemy() -> None:
    from sqlalchemy.engine import make_url

    from tradepipe.config.urls import ledger_url, redact

    for url in ("sqlite:///state/ledger.db", "postgresql://u:p%40ss@[::1]:5433/x?sslmode=require", "postgresql:///x"):
        parsed = make_url(ledger_url(url))
        assert parsed.get_backend_name() in ("sqlite", "postgresql") and parsed.get_driver_name() in (
            "pysqlite",
            "psycopg",
        )
        assert redact(ledger_url(url)) == parsed.render_as_string(hide_password=True)


def test_a_fault_drill_that_is_not_a_table_names_the_field(tmp_path: Path) -> None:  # found by the fuzz test
    with pytest.raises(ConfigurationError, match=r"sim\.fail_first: a table of read method = count"):
        load_settings(write(tmp_path, "[sim]\nfail_first = 0\n"))
