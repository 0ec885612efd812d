"""Compute adapters: where evaluation fans out (Dask)."""

from tradepipe.adapters.compute.dask_cluster import TASK_RETRIES, map_batches, open_client

__all__ = ["TASK_RETRIES", "map_batches", "open_client"]
