"""Data-quality findings and verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Verdict(StrEnum):
    PASS = "pass"
    WARN = "warn"
    QUARANTINE = "quarantine"


@dataclass(frozen=True, slots=True)
class QualityIssue:
    check: str
    detail: str


@dataclass(frozen=True, slots=True)
class QualityReport:
    venue: str
    symbol: str
    score: float
    verdict: Verdict
    issues: tuple[QualityIssue, ...] = ()
