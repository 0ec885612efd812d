"""Prefect retries only what is transient: the policy the stage tasks declare, on real task runs."""

from __future__ import annotations

import pytest
from prefect import Task, flow, task
from prefect.cache_policies import NO_CACHE

from tasks.policy import retry_transient
from tradepipe.errors import DataQualityError, RateLimited, TransientVenueError


def flaky(failures: list[BaseException]) -> tuple[Task[[], int], list[int]]:
    calls: list[int] = []

    @task(retries=3, retry_delay_seconds=0, retry_condition_fn=retry_transient, cache_policy=NO_CACHE)
    def read() -> int:
        calls.append(1)
        if len(calls) <= len(failures):
            raise failures[len(calls) - 1]
        return len(calls)

    return read, calls


def test_transient_errors_are_retried_until_success(prefect_api: str) -> None:
    read, calls = flaky([TransientVenueError("timeout"), RateLimited("429")])

    @flow
    def run() -> int:
        return read()

    assert run() == 3
    assert len(calls) == 3


def test_a_halting_error_is_not_retried(prefect_api: str) -> None:
    read, calls = flaky([DataQualityError("corrupt candle file")])

    @flow
    def run() -> int:
        return read()

    with pytest.raises(DataQualityError):
        run()
    assert len(calls) == 1
