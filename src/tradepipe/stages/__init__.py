"""Stage services: each binds adapters (from ``tradepipe.wiring``) to one core stage and records it in the ledger.

``tasks/`` wraps each function here in a thin Prefect task; nothing here imports Prefect.
"""
