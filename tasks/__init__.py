"""Thin Prefect tasks: one call into ``tradepipe`` each; retries, caching and artifacts are declared here."""
