"""Compute adapters: where evaluation fans out (Dask)."""

from tradepipe.adapters.compute.dask_cluster import (
    TASK_RETRIES,
    close_shared_clients,
    map_batches,
    open_client,
    shared_client,
)

__all__ = ["TASK_RETRIES", "close_shared_clients", "map_batches", "open_client", "shared_client"]
