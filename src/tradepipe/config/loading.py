"""Loading ``Settings`` from a TOML file, the environment and explicit overrides, with errors that name the field."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from tradepipe.config.settings import TOML_DATA, Settings
from tradepipe.config.urls import redact
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
    token = TOML_DATA.set(read_toml(file) if file is not None else {})
    try:
        return Settings(**(overrides or {}))
    except ValidationError as exc:
        raise ConfigurationError(redact(describe_errors(exc, file))) from None
    except SettingsError as exc:  # an environment override pydantic-settings could not parse (bad JSON)
        raise ConfigurationError(redact(describe_env_error(exc))) from None
    finally:
        TOML_DATA.reset(token)


def read_toml(file: Path) -> dict[str, Any]:
    """The parsed TOML document; every way the file can be unreadable is a ``ConfigurationError`` naming it."""
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"config file {file} does not exist") from None
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"config file {file} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8"
        ) from None
    except OSError as exc:
        raise ConfigurationError(f"config file {file} cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"config file {file} is not valid TOML: {exc}") from None


def describe_env_error(exc: SettingsError) -> str:
    """Name the ``TRADEPIPE_*`` variable (and its field) whose value is not the JSON its field needs."""
    found = re.search(r'field "(\w+)"', str(exc))
    prefix = f"TRADEPIPE_{found.group(1)}".upper() if found else "TRADEPIPE_"
    lines = ["invalid configuration in the environment:"]
    for name, value in sorted(os.environ.items()):
        upper = name.upper()
        if upper != prefix and not upper.startswith(prefix + "__"):
            continue
        try:
            json.loads(value)
        except json.JSONDecodeError as bad:
            if value.lstrip()[:1] in ("[", "{") or upper == prefix:
                field = upper.removeprefix("TRADEPIPE_").lower().replace("__", ".")
                lines.append(f"  {name} ({field}): not valid JSON ({bad.msg} at char {bad.pos}); given: {value!r}")
    if len(lines) == 1:
        lines.append(f"  {exc}")
    return "\n".join(lines)


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
