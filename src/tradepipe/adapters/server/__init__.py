"""The standing Prefect stack (server, work pool, deployments, worker, metrics endpoint) as managed processes."""
