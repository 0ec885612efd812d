"""Everything that talks to the outside world: venues, storage, data quality, metrics."""
