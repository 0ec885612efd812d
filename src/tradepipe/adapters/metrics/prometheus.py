"""The Prometheus exporter: a collector that reads the newest run's metrics from the ledger on every scrape.

Runs are separate processes (a Prefect worker starts one per flow run), so the exporter keeps no
counters of its own: the ``run_metrics`` and ``alerts`` tables are the source, and a scrape always
shows what the last completed run stored.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tradepipe.adapters.storage.operations import OperationsStore
from tradepipe.core.reporting.metrics import HELP

PREFIX = "tradepipe_"


class LedgerCollector(Collector):
    """Gauges for every stored metric of the newest run, plus alert counters by rule and status."""

    def __init__(self, store: OperationsStore) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        stored = self.store.latest_metrics()
        if stored is not None:
            run = GaugeMetricFamily(f"{PREFIX}last_run_cycle", "cycle number of the newest run with metrics")
            run.add_metric([], stored.cycle)
            yield run
            if stored.finished_at is not None:
                when = GaugeMetricFamily(f"{PREFIX}last_run_timestamp_seconds", "when the newest run finished")
                when.add_metric([], stored.finished_at.timestamp())
                yield when
            families: dict[str, GaugeMetricFamily] = {}
            for metric in stored.metrics:
                family = families.get(metric.name)
                if family is None:
                    labels = ["stage"] if metric.label else []
                    help_text = HELP.get(metric.name, metric.name)
                    family = families[metric.name] = GaugeMetricFamily(PREFIX + metric.name, help_text, labels=labels)
                family.add_metric([metric.label] if metric.label else [], metric.value)
            yield from families.values()
        alerts = CounterMetricFamily(f"{PREFIX}alerts", "alerts raised, by rule and status", labels=["rule", "status"])
        for (rule, status), count in sorted(self.store.alert_counts().items()):
            alerts.add_metric([rule, status], count)
        yield alerts


@dataclass
class MetricsEndpoint:
    server: WSGIServer
    thread: threading.Thread

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        name = host if isinstance(host, str) else host.decode()
        return f"http://{name}:{port}/metrics"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def registry_for(store: OperationsStore) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(LedgerCollector(store))
    return registry


def start_endpoint(store: OperationsStore, host: str = "127.0.0.1", port: int = 9464) -> MetricsEndpoint:
    """Serve ``/metrics`` on ``host:port`` (0 = a free port) from a daemon thread."""
    server, thread = start_http_server(port, addr=host, registry=registry_for(store))
    return MetricsEndpoint(server, thread)
