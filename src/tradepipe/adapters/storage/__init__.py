"""Persistence: the SQL ledger (SQLAlchemy 2 + Alembic) and the parquet candle store."""
