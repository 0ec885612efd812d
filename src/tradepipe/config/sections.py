"""The sections of ``tradepipe.toml``; every field has a default that runs paper on the simulator."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise
from typing import Annotated, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from tradepipe.config import urls
from tradepipe.config.names import (
    STRATEGY_PARAMS,
    CandidateFilterName,
    ClassifierName,
    ExitRuleName,
    ProtectionName,
    RegimeName,
    SimVenue,
    StrategyName,
    UniverseFilterName,
)
from tradepipe.config.strict import StrictRedacted
from tradepipe.config.weights import NestedTable

Timeframe = Literal["1m", "5m", "15m", "1h", "4h", "1d"]


class Section(StrictRedacted, BaseModel):
    """Unknown keys refused, frozen, finite numbers only, no boolean read as a number, passwords redacted."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SimSection(Section):
    """The built-in simulated market."""

    venues: tuple[SimVenue, ...] = Field(("sim-alpha", "sim-beta"), min_length=1)
    bad_data_every: int = Field(25, ge=0, description="plant one bad candle in every Nth symbol (0 = none)")
    fail_first: tuple[tuple[str, int], ...] = Field(
        (),
        description="fault drill: read method -> how many first calls per venue and cycle time out (transient), "
        "e.g. {fetch_tickers = 1} makes discover fail once and succeed on its Prefect retry; {} = none",
    )

    @field_validator("fail_first", mode="before")
    @classmethod
    def _known_reads(cls, value: object) -> tuple[tuple[str, int], ...]:
        pairs = value.items() if isinstance(value, dict) else value
        if not isinstance(pairs, Iterable) or isinstance(pairs, str) or not all(_is_pair(p) for p in pairs):
            raise ValueError("a table of read method = count is needed, e.g. {fetch_tickers = 1}")
        table = {str(k): v for k, v in pairs}
        reads = {"load_markets", "fetch_tickers", "fetch_ohlcv", "fetch_order_book", "fetch_balance", "fetch_my_trades"}
        unknown = sorted(set(table) - reads)
        if unknown or any(not isinstance(n, int) or n < 0 for n in table.values()):
            raise ValueError(f"unknown read method(s) {unknown} or a bad count; allowed: {sorted(reads)}")
        return tuple(sorted(table.items()))


def _is_pair(item: object) -> bool:
    return isinstance(item, tuple | list) and len(item) == 2


class PaperSection(Section):
    """The paper wallet and how realistically it fills (so paper results are not rosier than live)."""

    starting_cash: float = Field(10_000.0, gt=0, description="quote currency per venue at the first run")
    quote: str = "USDT"
    depth_share: float = Field(0.5, gt=0, le=1, description="share of each displayed book level we can take")
    latency_bps: float = Field(1.0, ge=0, le=500, description="adverse price move while the order travels")
    reject_rate: float = Field(0.01, ge=0, le=1, description="probability the venue rejects an order (seeded)")
    client_order_id_unique: bool = Field(True, description="the paper venue refuses a reused client order id")


class DiscoverySection(Section):
    """Stage 1: the filter chain (registered filters, applied in this order), ranking and batching."""

    filters: tuple[UniverseFilterName, ...] = Field(
        ("quote", "blacklist", "whitelist", "price", "volume", "spread", "age", "volatility"),
        description="filters applied in order; names from tradepipe.core.discovery.filters.FILTERS",
    )
    quote: str = "USDT"
    min_quote_volume: float = Field(100_000.0, ge=0)
    min_price: float = Field(0.0001, ge=0)
    max_price: float = Field(0.0, ge=0, description="0 = no upper bound")
    max_spread_bps: float = Field(50.0, gt=0)
    min_age_days: float = Field(0.0, ge=0, description="days since listing; symbols without a listing date pass")
    min_volatility_pct: float = Field(0.0, ge=0, description="24 h high-low range as % of the last price")
    max_volatility_pct: float = Field(0.0, ge=0, description="0 = no upper bound")
    max_symbols: int = Field(40, ge=1, le=5_000)
    batch_size: int = Field(10, ge=1, le=1_000)
    blacklist: tuple[str, ...] = ()
    whitelist: tuple[str, ...] = Field((), description="symbols or base assets; empty = every symbol")
    ranking: Literal["liquidity", "volume"] = Field(
        "liquidity", description="liquidity = quote volume discounted by the spread; volume = quote volume"
    )


class MarketDataSection(Section):
    """Stage 2: sources, breakers, consensus and the candle store."""

    timeframe: Timeframe = "1h"
    history_bars: int = Field(300, ge=50, le=5_000)
    fallback_sources: tuple[str, ...] = Field(
        (), description="venues tried after a symbol's own venue, in order; empty = the other venues as configured"
    )
    consensus_sources: int = Field(2, ge=1, le=5, description="sources reconciled per symbol (1 = no consensus)")
    consensus_threshold_bps: float = Field(50.0, gt=0, description="a close this far from the bar's median disagrees")
    breaker_failures: int = Field(5, ge=1, description="consecutive failures that open a source's circuit")
    breaker_cooldown_s: float = Field(30.0, ge=0, description="seconds an open circuit waits before one probe")
    retry_attempts: int = Field(3, ge=1, le=10, description="attempts per request before falling back")
    ccxt_sources: tuple[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")], ...] = Field(
        (), description="ccxt exchange ids added as read-only candle sources (reaches the network); empty = none"
    )
    keep_view_bars: int = Field(48, ge=1, description="batch views older than this many bars are deleted")


class PoolsSection(Section):
    """Solana DEX pool discovery: a pool feed and the watcher that turns new pools into candidates."""

    enabled: bool = True
    feed: Literal["sim", "geckoterminal"] = Field("sim", description="geckoterminal reaches the network")
    network: str = Field("solana", description="GeckoTerminal network id")
    max_age_s: float = Field(86_400.0, gt=0, description="pools older than this are not new")
    max_candidates: int = Field(20, ge=0, le=500)
    http_timeout_s: float = Field(10.0, gt=0)


class QualitySection(Section):
    """The data-quality gate: check thresholds, the score's verdict bands, quarantine release, the GX tier."""

    stale_bars: int = Field(2, ge=1, description="last candle older than this many bars is stale")
    spike_z: float = Field(25.0, gt=0, description="a return with a robust z-score (median/MAD) above this is a spike")
    zero_volume_bars: int = Field(3, ge=1, description="this many consecutive zero-volume bars are a finding")
    pass_score: float = Field(0.9, gt=0, le=1, description="score at or above which a symbol passes at full size")
    warn_score: float = Field(0.5, gt=0, le=1, description="score at or above which it still trades, sized by score")
    release_after_clean_cycles: int = Field(3, ge=1, description="clean cycles before a quarantined symbol is released")
    gx_enabled: bool = Field(True, description="run the Great Expectations tier (one checkpoint per cycle)")
    gx_keep_runs: int = Field(48, ge=1, description="GX validation results (and Data Docs pages) kept per suite")
    worst_symbols: int = Field(10, ge=1, le=1_000, description="rows in the worst-symbols table of the reports")

    @model_validator(mode="after")
    def _bands(self) -> QualitySection:
        if self.warn_score > self.pass_score:
            raise ValueError("quality.warn_score must not exceed quality.pass_score")
        return self


class StrategySection(Section):
    """Stage 4: indicators, regime classifier, router weights, scoring and candidate filters."""

    fast: int = Field(12, ge=2, description="fast EMA period (trend-following)")
    slow: int = Field(26, ge=3, description="slow EMA period (trend-following)")
    atr_period: int = Field(14, ge=2)
    min_atr_pct: float = Field(0.002, ge=0, lt=1)
    max_atr_pct: float = Field(0.08, gt=0, lt=1)
    regime_classifier: ClassifierName = Field("rules", description="registered in core.strategy.regime.CLASSIFIERS")
    routes: NestedTable = Field(
        {
            "trending_up": {"trend_following": 1.0, "momentum": 0.7, "breakout": 0.4},
            "trending_down": {},
            "ranging": {"mean_reversion": 1.0, "trend_following": 0.5},
            "volatile": {"breakout": 0.6, "trend_following": 0.4},
            "breakout": {"breakout": 1.0, "momentum": 0.6, "trend_following": 0.5},
            "unknown": {},
        },
        description="regime -> {strategy = weight}; {} routes nothing; an unlisted regime uses the strategies "
        "that declare it",
        validate_default=True,
    )
    params: NestedTable = Field((), description="strategy -> {parameter = value} overrides")
    agreement_weight: float = Field(0.5, ge=0, le=1, description="how much disagreement between strategies costs")
    regime_weight: float = Field(0.5, ge=0, le=1, description="how much a low regime confidence costs")
    filters: tuple[CandidateFilterName, ...] = Field(
        ("min_score", "cooldown", "top_n"), description="candidate filters, in order"
    )
    min_score: float = Field(0.05, ge=0, le=1)
    top_n: int = Field(20, ge=0, description="most candidates handed to risk per cycle (0 = no limit)")
    cooldown_cycles: int = Field(0, ge=0, description="cycles after an entry before the symbol is a candidate again")
    timeout_s: float = Field(1.0, gt=0, description="a strategy slower than this on a symbol is recorded as failed")
    cache: bool = Field(True, description="reuse results for unchanged candles (symbol:strategy:data:params)")
    cache_max_age_s: float = Field(86_400, gt=0, description="evaluation cache entries unused this long are deleted")

    @field_validator("routes")
    @classmethod
    def _known_routes(cls, routes: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]) -> tuple[object, ...]:
        for regime, table in routes:
            if regime not in get_args(RegimeName):
                raise ValueError(f"unknown regime {regime!r}; known: {list(get_args(RegimeName))}")
            _known_strategies(f"routes.{regime}", (name for name, _ in table))
            for name, weight in table:
                if weight < 0:
                    raise ValueError(f"routes.{regime}.{name}: weight must be >= 0, got {weight}")
        return routes

    @field_validator("params")
    @classmethod
    def _known_params(cls, params: tuple[tuple[str, tuple[tuple[str, float], ...]], ...]) -> tuple[object, ...]:
        _known_strategies("params", (name for name, _ in params))
        for name, table in params:
            known = STRATEGY_PARAMS[name]
            if unknown := sorted({key for key, _ in table} - set(known)):
                raise ValueError(f"params.{name}: unknown {unknown}; known: {sorted(known)}")
            for key, value in table:
                if known[key] is int and not float(value).is_integer():
                    raise ValueError(f"params.{name}.{key}: a whole number is needed, got {value}")
        return params


def _known_strategies(where: str, names: Iterable[str]) -> None:
    unknown = sorted(set(names) - set(get_args(StrategyName)))
    if unknown:
        raise ValueError(f"{where}: unknown strategy {unknown}; known: {list(get_args(StrategyName))}")


class RiskSection(Section):
    trade_size_pct: float = Field(0.05, gt=0, le=1)
    max_drawdown: float = Field(0.2, gt=0, lt=1)
    max_open_positions: int = Field(10, ge=0)
    min_confidence: float = Field(0.05, ge=0, le=1)
    target_volatility: float = Field(0.01, gt=0, description="per-bar return volatility that gets factor 1")
    max_volatility_factor: float = Field(2.0, ge=1)
    stop_loss_atr: float = Field(2.0, gt=0)
    take_profit_atr: float = Field(3.0, gt=0)
    allow_scale_in: bool = Field(False, description="allow a second entry into a symbol already held on a venue")
    reserve_cash_pct: float = Field(0.05, ge=0, lt=1, description="share of each venue's capital kept as cash")
    max_symbol_exposure_pct: float = Field(0.25, gt=0, le=1, description="of equity, per symbol across venues")
    max_venue_exposure_pct: float = Field(1.0, gt=0, le=1, description="of equity, per venue")
    max_quote_exposure_pct: float = Field(1.0, gt=0, le=1, description="of equity, per quote currency")
    max_portfolio_volatility: float = Field(0.01, gt=0, description="per-bar volatility of equity (vol targeting)")
    max_daily_loss: float = Field(0.05, gt=0, lt=1, description="loss since the UTC day's first equity mark")
    correlation_window: int = Field(96, ge=10, le=5_000, description="bars of returns behind the correlations")
    correlation_scale_above: float = Field(0.7, ge=0, le=1, description="scale entries down above this correlation")
    correlation_deny_above: float = Field(0.95, ge=0, le=1, description="deny entries at or above this correlation")
    correlation_min_factor: float = Field(0.25, gt=0, le=1, description="size factor just below the deny level")
    max_cluster_exposure_pct: float = Field(0.5, gt=0, le=1, description="of equity, held symbols correlated ≥ scale")

    @model_validator(mode="after")
    def _correlation_levels(self) -> RiskSection:
        if self.correlation_scale_above > self.correlation_deny_above:
            raise ValueError("risk.correlation_scale_above must not exceed risk.correlation_deny_above")
        return self


class CooldownParams(Section):
    minutes: int = Field(120, ge=0, description="no new entry in a symbol for this long after an exit")


class StoplossGuardParams(Section):
    lookback_minutes: int = Field(1440, ge=1)
    trade_limit: int = Field(4, ge=1, description="this many stop-loss exits in the lookback lock entries")
    lock_minutes: int = Field(360, ge=1)
    per_symbol: bool = Field(False, description="count and lock per symbol instead of globally")


class MaxDrawdownParams(Section):
    lookback_minutes: int = Field(2880, ge=1)
    max_drawdown: float = Field(0.1, gt=0, lt=1, description="equity drop from the lookback's peak that halts")
    lock_minutes: int = Field(720, ge=1)


class LowProfitParams(Section):
    lookback_minutes: int = Field(2880, ge=1)
    trade_limit: int = Field(2, ge=1, description="closed trades in the lookback before a symbol is judged")
    required_profit: float = Field(0.0, description="summed profit ratio below this locks the symbol")
    lock_minutes: int = Field(720, ge=1)


class ProtectionsSection(Section):
    """Protections (registered plugins, as freqtrade's): each locks entries for a while; locks are persisted."""

    enabled: tuple[ProtectionName, ...] = ("cooldown", "stoploss_guard", "max_drawdown", "low_profit")
    cooldown: CooldownParams = CooldownParams()
    stoploss_guard: StoplossGuardParams = StoplossGuardParams()
    max_drawdown: MaxDrawdownParams = MaxDrawdownParams()
    low_profit: LowProfitParams = LowProfitParams()


class SniperSection(Section):
    """Rules for entries into new DEX pools, with their own small budget."""

    budget_quote: float = Field(200.0, ge=0, description="total quote deployed in sniper positions at most")
    max_per_pool_quote: float = Field(50.0, gt=0)
    min_liquidity_quote: float = Field(20_000.0, ge=0)
    max_pool_share_pct: float = Field(1.0, gt=0, le=100, description="position as % of the pool's liquidity")
    max_price_impact_bps: float = Field(150.0, gt=0, lt=10_000)
    min_age_s: float = Field(300.0, ge=0)
    max_top10_holder_pct: float = Field(50.0, ge=0, le=100)
    require_mint_revoked: bool = True
    require_freeze_revoked: bool = True


class DaskSection(Section):
    address: str = Field("", description="scheduler address of an existing cluster; empty = LocalCluster")
    n_workers: int = Field(2, ge=1, le=64)
    threads_per_worker: int = Field(1, ge=1, le=64)


class ServerSection(Section):
    """The standing Prefect server started by ``make serve`` / ``tradepipe serve start``."""

    database_url: str = Field(
        "", description="Prefect's own database; empty = SQLite in state_dir/prefect; or postgresql+asyncpg://..."
    )
    host: str = "127.0.0.1"
    port: int = Field(4200, ge=1, le=65_535)
    work_pool: str = Field("tradepipe-process", min_length=1)
    startup_timeout_s: float = Field(180.0, gt=0)

    _database_url = field_validator("database_url")(urls.server_url)


class MetricsSection(Section):
    """Prometheus metrics: served by ``tradepipe serve`` from the runs stored in the ledger."""

    host: str = "127.0.0.1"
    port: int = Field(9464, ge=0, le=65_535, description="0 = no metrics endpoint")
    window_runs: int = Field(50, ge=1, le=10_000, description="recent runs behind the latency percentiles")


class AlertsSection(Section):
    """Thresholds checked after every cycle; a breach that repeats is not re-sent within the cooldown."""

    enabled: bool = True
    cooldown_minutes: float = Field(60.0, ge=0)
    webhook_url: str = Field("", description="POST each alert as JSON here; empty = log and artifact only")
    stage_p95_seconds: float = Field(120.0, gt=0, description="p95 latency of any stage over the window")
    error_rate: float = Field(0.2, ge=0, le=1, description="failed stage runs / stage runs over the window")
    memory_mib: float = Field(4096.0, gt=0, description="peak resident memory of the run")
    min_cache_hit_rate: float = Field(0.0, ge=0, le=1, description="fetch cache hits / batches (0 = off)")
    drawdown: float = Field(0.15, gt=0, le=1, description="fall of equity from its peak")
    reconciliation_diffs: int = Field(0, ge=0, description="differences left by reconcile above this fire")
    stage_failures: int = Field(0, ge=0, description="failed stages in the run above this fire")

    _webhook_url = field_validator("webhook_url")(urls.webhook_url)


class PositionsSection(Section):
    """Positions are derived from fills; the cost method decides which entry price a sale releases."""

    cost_method: Literal["average", "fifo"] = "average"


class ExitsSection(Section):
    """Exit rules stage 7 applies to open positions, in this order (registry: ``core.positions.rules.REGISTRY``)."""

    rules: tuple[ExitRuleName, ...] = ("stop_loss", "take_profit", "trailing_stop")
    trailing_activation_pct: float = Field(0.02, ge=0, description="gain over entry before the trail starts")
    trailing_distance_pct: float = Field(0.03, gt=0, lt=1, description="trail below the high-water mark")
    ladder_levels_pct: tuple[float, ...] = Field((0.03, 0.06), description="gains over entry of each TP level")
    ladder_fractions: tuple[float, ...] = Field((0.5, 0.5), description="fraction of the entry amount per level")
    max_hold_hours: float = Field(72.0, gt=0, description="time_exit closes positions held this long")
    break_even_trigger_pct: float = Field(0.02, gt=0, description="gain that moves the stop to break-even")
    break_even_offset_pct: float = Field(0.001, ge=0, description="break-even stop sits this far above entry")

    @model_validator(mode="after")
    def _ladder(self) -> ExitsSection:
        levels, fractions = self.ladder_levels_pct, self.ladder_fractions
        if len(levels) != len(fractions):
            raise ValueError("exits.ladder_fractions must have one fraction per exits.ladder_levels_pct level")
        if any(b <= a for a, b in pairwise(levels)) or any(x <= 0 for x in levels):
            raise ValueError("exits.ladder_levels_pct must be positive and strictly increasing")
        if any(f <= 0 for f in fractions) or sum(fractions) > 1 + 1e-9:
            raise ValueError("exits.ladder_fractions must be positive and sum to at most 1")
        return self


class ReconcileSection(Section):
    """Stage 8: the ledger against every wallet, every run."""

    tolerance: float = Field(1e-8, ge=0, description="absolute difference per asset treated as equal")
    grace_seconds: float = Field(60.0, ge=0, description="a ledger-open order the venue does not list is looked up")
    trades_lookback_hours: float = Field(168.0, gt=0, description="venue trades this recent are matched to fills")


class ExecutionSection(Section):
    """Stage 6: the slippage guard, smart routing and how venue errors are paced."""

    max_slippage_bps: float = Field(50.0, gt=0, le=10_000, description="expected slippage vs mid allowed")
    slippage_action: Literal["limit", "deny"] = Field("limit", description="above it: IOC limit at the band, or deny")
    routing: Literal["best", "off"] = Field("best", description="route entries to the best venue (or split)")
    read_attempts: int = Field(3, ge=1, le=10, description="tries of a read-only venue call on transient errors")
    read_backoff_s: float = Field(0.05, ge=0, le=60, description="first backoff between read tries (doubles)")
    rate_limit_backoff_s: float = Field(0.5, ge=0, le=600, description="first per-venue backoff after a 429")
    rate_limit_max_backoff_s: float = Field(8.0, ge=0, le=3_600)
    rate_limit_rounds: int = Field(4, ge=1, le=50, description="send rounds for rate-limited orders, then deny")
    resize_on_insufficient_funds: bool = Field(True, description="re-size once from a fresh balance")
    not_found_grace_s: float = Field(
        0.0, ge=0, le=86_400, description="an order a venue does not show is closed as never taken only after this"
    )


class LiveSection(Section):
    enabled: bool = False
    api_key_env: str = "TRADEPIPE_API_KEY"
    api_secret_env: str = "TRADEPIPE_API_SECRET"
