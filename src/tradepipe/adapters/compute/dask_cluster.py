"""Dask as the compute adapter: open a client (local cluster or an existing scheduler), map over batches.

Work goes out one Dask task per batch, never per symbol. The mapped function must be importable on
the workers (a top-level function of an installed module), which is why the strategy's batch
function lives in ``tradepipe.core.strategy.evaluate`` and not in a flow or a test.
"""

from __future__ import annotations

import atexit
import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, TypeVar

from distributed import Client, LocalCluster

logger = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")

TASK_RETRIES = 2
"""Re-runs of a task that raised. A task whose worker died is rescheduled by the scheduler itself,
up to ``distributed.scheduler.allowed-failures`` times (3 by default), then fails with KilledWorker."""


@contextmanager
def open_client(address: str | None, n_workers: int = 2, threads_per_worker: int = 1) -> Iterator[Client]:
    """Yield a Dask client: connected to the scheduler at ``address``, or to a new local cluster.

    The local cluster runs ``n_workers`` worker processes without a dashboard and with Dask's logs
    silenced to WARNING; it is closed on exit. An existing scheduler is only disconnected from.
    """
    if address:
        logger.info("connecting to Dask scheduler at %s", address)
        with Client(address) as client:
            yield client
        return
    if n_workers < 1 or threads_per_worker < 1:
        raise ValueError(f"need n_workers >= 1 and threads_per_worker >= 1, got {n_workers}, {threads_per_worker}")
    logging.getLogger("distributed").setLevel(logging.WARNING)  # a host's logging config may have lowered it
    with (
        LocalCluster(
            processes=True,
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            dashboard_address=":0",  # a free port: never clash with another cluster on this machine
            silence_logs=logging.WARNING,
        ) as cluster,
        Client(cluster) as client,
    ):
        logger.info("started local Dask cluster: %d workers x %d threads", n_workers, threads_per_worker)
        yield client


def _call_with(fn: Callable[..., R], args: tuple[Any, ...], item: Any) -> R:
    """Run ``fn(item, *args)`` on a worker; ``args`` travel pickled inside the task, opaque to Dask."""
    return fn(item, *args)


def map_batches(client: Client, fn: Callable[..., R], items: Sequence[T], *args: Any) -> list[R]:
    """Run ``fn(item, *args)`` as one Dask task per item and return the results in the order of ``items``.

    Tasks are impure (a fresh key per call, so a re-run reads the files again) and retried up to
    ``TASK_RETRIES`` times if they raise. If a task still fails, the remaining ones are cancelled and
    its exception is raised here.
    """
    if not items:
        return []
    name = getattr(fn, "__name__", "batch")
    run_id = uuid.uuid4().hex[:12]
    keys = [f"{name}-{run_id}-{index}" for index in range(len(items))]
    task = functools.partial(_call_with, fn, args)
    futures = client.map(task, list(items), key=keys, pure=False, retries=TASK_RETRIES)
    try:
        return list(client.gather(futures))
    except Exception:
        client.cancel(futures)
        raise


_shared: dict[tuple[str | None, int, int], tuple[ExitStack, Client]] = {}
_shared_lock = threading.Lock()


def shared_client(address: str | None, n_workers: int = 2, threads_per_worker: int = 1) -> Client:
    """A client kept for the life of the process, so consecutive cycles reuse one cluster.

    Starting a LocalCluster and importing the strategy stack on its workers costs ~3 s; a process that
    runs many cycles (``tradepipe run --cycles N``, a worker serving deployments) pays it once. A client
    whose scheduler went away is replaced. Everything is closed at interpreter exit.
    """
    key = (address, n_workers, threads_per_worker)
    with _shared_lock:
        entry = _shared.get(key)
        if entry is not None and entry[1].status == "running":
            return entry[1]
        if entry is not None:
            entry[0].close()
        stack = ExitStack()
        client = stack.enter_context(open_client(address, n_workers, threads_per_worker))
        _shared[key] = (stack, client)
        return client


@atexit.register
def close_shared_clients() -> None:
    """Close every shared client (and the local clusters behind them)."""
    with _shared_lock:
        for stack, _ in _shared.values():
            stack.close()
        _shared.clear()


def shared_cluster_info() -> list[dict[str, str]]:
    """Scheduler address, worker count and dashboard link of each shared client this process holds.

    The dashboard needs bokeh on the scheduler; without it the link says so instead of pointing nowhere.
    """
    with _shared_lock:
        clients = [client for _, client in _shared.values() if client.status == "running"]
    found = []
    for client in clients:
        info = client.scheduler_info()
        address = str(info.get("address", ""))
        port = info.get("services", {}).get("dashboard")
        host = address.split("://")[-1].rsplit(":", 1)[0] or "127.0.0.1"
        link = f"http://{host}:{port}/status" if port else "no dashboard (the scheduler has no bokeh)"
        found.append({"scheduler": address, "workers": str(len(info.get("workers", {}))), "dashboard": link})
    return found
