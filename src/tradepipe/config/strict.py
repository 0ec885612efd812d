"""Strict numbers for every section: a boolean is never read as a number (``true`` would be 1 = 100 %)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, SerializerFunctionWrapHandler, ValidationInfo, field_validator, model_serializer

from tradepipe.config.urls import redact, redact_any


def _mentions(annotation: Any, kinds: tuple[type, ...]) -> bool:
    """True when ``annotation`` (or any type nested in it) is one of ``kinds``; nested models do not count."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False
    if annotation in kinds:
        return True
    return any(_mentions(arg, kinds) for arg in get_args(annotation))


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, Mapping):
        return any(_holds_bool(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_holds_bool(v) for v in value)
    return False


def no_bool_for_numbers(annotation: Any, value: Any) -> Any:
    """``value`` unchanged, unless it puts a boolean where ``annotation`` wants a number (then ``ValueError``)."""
    if _mentions(annotation, (int, float)) and not _mentions(annotation, (bool,)) and _holds_bool(value):
        raise ValueError("a boolean is not a number; write the number (e.g. 0.05), not true/false")
    return value


class StrictRedacted:
    """Mixin for ``Section`` and ``Settings``: no boolean read as a number, passwords redacted in dumps and reprs."""

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        return no_bool_for_numbers(cls.model_fields[str(info.field_name)].annotation, value)  # type: ignore[attr-defined]

    @model_serializer(mode="wrap")
    def _redacted(self, handler: SerializerFunctionWrapHandler) -> Any:
        """Dumps (and so Prefect's stored flow-run parameters) never hold a password; the object keeps it."""
        return redact_any(handler(self))

    def __repr_args__(self) -> Any:
        for name, value in super().__repr_args__():  # type: ignore[misc]
            yield name, redact(value) if isinstance(value, str) else value
