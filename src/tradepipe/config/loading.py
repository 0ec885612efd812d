"""Loading ``Settings`` from a TOML file, the environment and explicit overrides, with errors that name the field."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tradepipe.config.settings import TOML_DATA, Settings
from tradepipe.errors import ConfigurationError

DEFAULT_CONFIG_NAME = "tradepipe.toml"


def config_path(explicit: Path | None = None) -> Path | None:
    """The TOML file to read: ``explicit``, else ``$TRADEPIPE_CONFIG``, else ``./tradepipe.toml`` if present."""
    if explicit is not None:
        return explicit
    if env := os.environ.get("TRADEPIPE_CONFIG"):
        return Path(env)
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.exists() else None


def load_settings(path: Path | None = None, overrides: dict[str, Any] | None = None) -> Settings:
    """Build the frozen Settings; raise ``ConfigurationError`` naming each bad field and what is allowed."""
    file = config_path(path)
    data: dict[str, Any] = {}
    if file is not None:
        try:
            data = tomllib.loads(file.read_text())
        except FileNotFoundError as exc:
            raise ConfigurationError(f"config file {file} does not exist") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"config file {file} is not valid TOML: {exc}") from exc
    token = TOML_DATA.set(data)
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise ConfigurationError(describe_errors(exc, file)) from None
    finally:
        TOML_DATA.reset(token)


def describe_errors(exc: ValidationError, file: Path | None) -> str:
    """One line per bad field: where it is, what was given and what is allowed."""
    where = f" in {file}" if file else ""
    lines = [f"invalid configuration{where}:"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(settings)"
        given = error.get("input")
        if error["type"] == "extra_forbidden":
            allowed = _allowed_keys(error["loc"])
            lines.append(f"  {field}: unknown key; allowed keys here: {', '.join(allowed)}")
        elif not error["loc"]:  # a cross-field check: its message names the fields, the input is the whole file
            lines.append(f"  {error['msg'].removeprefix('Value error, ')}")
        else:
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"  {field}: {message} (given: {given!r})")
    return "\n".join(lines)


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        if field is None or not hasattr(field.annotation, "model_fields"):
            break
        model = field.annotation
    return sorted(model.model_fields)
