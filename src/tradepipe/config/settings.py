"""The one frozen ``Settings`` object."""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    Field,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from tradepipe.config import urls
from tradepipe.config.sections import (
    AlertsSection,
    DaskSection,
    DiscoverySection,
    ExecutionSection,
    ExitsSection,
    LiveSection,
    MarketDataSection,
    MetricsSection,
    PaperSection,
    PoolsSection,
    PositionsSection,
    ProtectionsSection,
    QualitySection,
    ReconcileSection,
    RiskSection,
    ServerSection,
    SimSection,
    SniperSection,
    StrategySection,
)
from tradepipe.config.strict import StrictRedacted

TOML_DATA: ContextVar[dict[str, Any] | None] = ContextVar("TOML_DATA", default=None)


class _TomlDataSource(PydanticBaseSettingsSource):
    """Feeds the parsed TOML document (set by ``load_settings``) below env and explicit overrides."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return (TOML_DATA.get() or {}).get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(TOML_DATA.get() or {})


class Settings(StrictRedacted, BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TRADEPIPE_", env_nested_delimiter="__", extra="forbid", frozen=True, allow_inf_nan=False
    )

    mode: Literal["paper", "live"] = "paper"
    state_dir: Path = Path("state")
    database_url: str = Field("", description="SQLAlchemy URL; empty = SQLite in state_dir")
    seed: int = Field(7, ge=0)

    sim: SimSection = SimSection()
    paper: PaperSection = PaperSection()
    discovery: DiscoverySection = DiscoverySection()
    marketdata: MarketDataSection = MarketDataSection()
    pools: PoolsSection = PoolsSection()
    quality: QualitySection = QualitySection()
    strategy: StrategySection = StrategySection()
    risk: RiskSection = RiskSection()
    execution: ExecutionSection = ExecutionSection()
    protections: ProtectionsSection = ProtectionsSection()
    sniper: SniperSection = SniperSection()
    dask: DaskSection = DaskSection()
    live: LiveSection = LiveSection()
    positions: PositionsSection = PositionsSection()
    exits: ExitsSection = ExitsSection()
    reconcile: ReconcileSection = ReconcileSection()
    server: ServerSection = ServerSection()
    metrics: MetricsSection = MetricsSection()
    alerts: AlertsSection = AlertsSection()

    _database_url = field_validator("database_url")(urls.ledger_url)

    @field_validator("state_dir")
    @classmethod
    def _state_dir_is_a_directory(cls, path: Path) -> Path:
        for part in (path, *path.parents):
            if part.exists() and not part.is_dir():
                where = "" if part == path else f" (in {path})"
                raise ValueError(f"{part}{where} is a file, not a directory; point state_dir at a directory")
        return path

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _TomlDataSource(settings_cls)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.strategy.fast >= self.strategy.slow:
            raise ValueError("strategy.fast must be smaller than strategy.slow")
        if self.strategy.min_atr_pct >= self.strategy.max_atr_pct:
            raise ValueError("strategy.min_atr_pct must be smaller than strategy.max_atr_pct")
        sources = {*self.sim.venues, *self.marketdata.ccxt_sources}
        if unknown := sorted(set(self.marketdata.fallback_sources) - sources):
            raise ValueError(
                f"marketdata.fallback_sources: unknown source(s) {unknown}; "
                f"allowed: sim.venues and marketdata.ccxt_sources, here {sorted(sources)}"
            )
        if self.mode == "live" and not self.live.enabled:
            raise ValueError("mode = 'live' needs [live] enabled = true (an explicit opt-in)")
        return self

    @property
    def ledger_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.state_dir / 'ledger.db').as_posix()}"

    @property
    def prefect_home(self) -> Path:
        return self.state_dir / "prefect"
