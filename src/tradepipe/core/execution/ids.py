"""Deterministic client order ids: the same intent always gets the same id, so a retry cannot duplicate it."""

from __future__ import annotations

import hashlib


def client_order_id(run_id: str, venue: str, symbol: str, side: str, sequence: int) -> str:
    digest = hashlib.sha256(f"{run_id}|{venue}|{symbol}|{side}|{sequence}".encode()).hexdigest()
    return f"tp{digest[:30]}"


def derived_id(parent: str, tag: str) -> str:
    """The id of an order derived from ``parent`` (a re-size, a split part): deterministic in (parent, tag) only,
    so a rerun that derives the same part again finds it already committed."""
    digest = hashlib.sha256(f"{parent}|{tag}".encode()).hexdigest()
    return f"tp{digest[:30]}"
