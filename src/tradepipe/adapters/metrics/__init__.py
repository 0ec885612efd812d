"""Metrics and alert adapters: the Prometheus exporter and the alert sinks (log, webhook)."""
