"""Compute adapters: where evaluation fans out (Dask) and where its cache lives."""

from tradepipe.adapters.compute.dask_cluster import (
    TASK_RETRIES,
    close_shared_clients,
    map_batches,
    open_client,
    shared_client,
)
from tradepipe.adapters.compute.evaluation_cache import DirectoryCache

__all__ = ["TASK_RETRIES", "DirectoryCache", "close_shared_clients", "map_batches", "open_client", "shared_client"]
