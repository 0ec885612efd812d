"""Configuration: one frozen ``Settings`` from ``tradepipe.toml`` plus ``TRADEPIPE_*`` environment overrides."""

from tradepipe.config.loading import DEFAULT_CONFIG_NAME, load_settings
from tradepipe.config.settings import Settings

__all__ = ["DEFAULT_CONFIG_NAME", "Settings", "load_settings"]
