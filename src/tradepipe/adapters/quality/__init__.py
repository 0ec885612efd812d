"""Great Expectations adapter (suites, checkpoints, Data Docs) and the offline HTML quality report.

Import the submodules directly (``runner``, ``frames``, ``suites``): this package imports nothing eagerly, so a
process that only builds the wiring does not pay for pandas (``frames``) or Great Expectations (``runner``, lazily).
"""
