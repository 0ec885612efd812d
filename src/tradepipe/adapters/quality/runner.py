"""Great Expectations 1.x behind one small class: suites per dataset kind, one checkpoint run per dataset.

GX is imported lazily (the import costs seconds) on the first ``validate``. The project lives in a file-backed
context under ``project_dir`` (inside the state dir, never the repo): suites, validation definitions and
checkpoints are (re)written from ``suites.py`` on first use, each run stores its validation result and
rebuilds the Data Docs site (``gx/uncommitted/data_docs/local_site``); results older than the newest
``keep_runs`` runs are pruned with their pages.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tradepipe.adapters.quality.suites import INDEX_COLUMNS, SUITES, Spec
from tradepipe.core.quality.tiers import ExpectationOutcome, SuiteOutcome

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)
DATASOURCE = "tradepipe"


class GxRunner:
    """Validates pandas frames with the suite of their kind; never raises for a GX failure (see ``validate``)."""

    def __init__(self, project_dir: Path, *, keep_runs: int = 48) -> None:
        self.project_dir = Path(project_dir)
        self.keep_runs = keep_runs
        self._context: Any = None
        self._checkpoints: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._prewarm: threading.Thread | None = None

    @property
    def gx_dir(self) -> Path:
        return self.project_dir / "gx"

    @property
    def data_docs_index(self) -> Path:
        return self.gx_dir / "uncommitted" / "data_docs" / "local_site" / "index.html"

    def prewarm(self, kinds: tuple[str, ...] = ("ohlcv", "pool_facts")) -> None:
        """Import GX and build the checkpoints in a background thread (once), while earlier stages run.

        ``validate`` waits on the same lock, so a cycle never validates with a half-built project.
        """
        if self._prewarm is None:
            self._prewarm = threading.Thread(target=self._prepare, args=(kinds,), name="gx-prewarm", daemon=True)
            self._prewarm.start()

    def _prepare(self, kinds: tuple[str, ...]) -> None:
        with self._lock:
            try:
                for kind in kinds:
                    self._checkpoint(kind)
            except Exception as exc:  # validate() retries the setup and reports the error with the run
                log.warning("GX prewarm failed: %s: %s", type(exc).__name__, exc)

    def validate(self, kind: str, frame: pd.DataFrame, run_name: str) -> SuiteOutcome:
        """Run the ``kind`` suite's checkpoint on ``frame``; a GX error comes back as ``SuiteOutcome.error``."""
        if kind not in SUITES:
            raise ValueError(f"unknown dataset kind {kind!r}; known: {sorted(SUITES)}")
        started = time.perf_counter()
        with self._lock:
            try:
                outcome = self._run(kind, frame, run_name)
            except Exception as exc:  # GX is the second tier: its failure must not stop the gate
                log.warning("GX %s suite failed to run: %s: %s", kind, type(exc).__name__, exc)
                outcome = SuiteOutcome(kind, run_name, len(frame), 0.0, error=f"{type(exc).__name__}: {exc}")
        return _with_seconds(outcome, time.perf_counter() - started)

    def _run(self, kind: str, frame: pd.DataFrame, run_name: str) -> SuiteOutcome:
        import great_expectations as gx

        checkpoint = self._checkpoint(kind)
        self._prune(f"tradepipe.{kind}", self.keep_runs - 1)  # before the run, so the rebuilt index omits them
        result = checkpoint.run(batch_parameters={"dataframe": frame}, run_id=gx.RunIdentifier(run_name=run_name))
        key, validation = next(iter(result.run_results.items()))
        outcomes = tuple(_outcome(r) for r in validation.results)
        urls = self._context.get_docs_sites_urls(resource_identifier=key)
        url = next((u["site_url"] for u in urls if u.get("site_url")), "") or self.data_docs_index.as_uri()
        return SuiteOutcome(kind, run_name, len(frame), 0.0, outcomes, data_docs=url)

    def _checkpoint(self, kind: str) -> Any:
        if kind not in self._checkpoints:
            self._checkpoints[kind] = self._build_checkpoint(kind)
        return self._checkpoints[kind]

    def _context_once(self) -> Any:
        if self._context is None:
            import great_expectations as gx
            from great_expectations.data_context.types.base import ProgressBarsConfig

            self.project_dir.mkdir(parents=True, exist_ok=True)
            context = gx.get_context(mode="file", project_root_dir=str(self.project_dir))
            context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
            context.variables.save()
            self._context = context
        return self._context

    def _build_checkpoint(self, kind: str) -> Any:
        import great_expectations as gx
        from great_expectations.checkpoint import UpdateDataDocsAction

        context = self._context_once()
        try:
            source = context.data_sources.get(DATASOURCE)
        except KeyError:
            source = context.data_sources.add_pandas(DATASOURCE)
        try:
            asset = source.get_asset(kind)
        except LookupError:
            asset = source.add_dataframe_asset(kind)
        try:
            batch = asset.get_batch_definition("whole")
        except KeyError:
            batch = asset.add_batch_definition_whole_dataframe("whole")
        suite = context.suites.add_or_update(_suite(gx, f"tradepipe.{kind}", SUITES[kind]))
        definition = context.validation_definitions.add_or_update(
            gx.ValidationDefinition(name=f"tradepipe.{kind}", data=batch, suite=suite)
        )
        return context.checkpoints.add_or_update(
            gx.Checkpoint(
                name=f"tradepipe.{kind}",
                validation_definitions=[definition],
                actions=[UpdateDataDocsAction(name="update_data_docs")],
                result_format={
                    "result_format": "COMPLETE",  # every failed row, with its venue and symbol
                    "unexpected_index_column_names": INDEX_COLUMNS,
                    "return_unexpected_index_query": False,  # a pandas filter string listing every failed index
                },
            )
        )

    def _prune(self, suite_name: str, keep: int) -> None:
        """Keep the newest ``keep`` validation results of a suite (and their Data Docs pages)."""
        uncommitted = self.gx_dir / "uncommitted"
        parts = suite_name.split(".")  # GX stores "tradepipe.ohlcv" under tradepipe/ohlcv/<run name>/
        stored = uncommitted.joinpath("validations", *parts)
        if not stored.is_dir():
            return
        runs = sorted((p for p in stored.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        for old in runs[: max(0, len(runs) - keep)]:
            shutil.rmtree(old, ignore_errors=True)
            shutil.rmtree(uncommitted.joinpath("data_docs", "local_site", "validations", *parts, old.name), True)


def _suite(gx: Any, name: str, specs: tuple[Spec, ...]) -> Any:
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=name)
    for spec in specs:
        meta = {"target": spec.target, "mirrors": spec.mirrors, "table_level": spec.table_level, **spec.meta}
        suite.add_expectation(getattr(gxe, spec.type_name)(**spec.kwargs, meta=meta))
    return suite


def _outcome(result: Any) -> ExpectationOutcome:
    config = result.expectation_config
    meta = config.meta or {}
    details = result.result or {}
    pairs = {
        (str(row.get("venue")), str(row.get("symbol")))
        for row in details.get("unexpected_index_list") or []
        if isinstance(row, dict)
    }
    return ExpectationOutcome(
        expectation=config.type,
        target=str(meta.get("target", "")),
        mirrors=str(meta.get("mirrors", "")),
        success=bool(result.success),
        unexpected=int(details.get("unexpected_count") or 0),
        pairs=tuple(sorted(pairs)),
        table_level=bool(meta.get("table_level", False)),
    )


def _with_seconds(outcome: SuiteOutcome, seconds: float) -> SuiteOutcome:
    return SuiteOutcome(
        outcome.kind, outcome.run_name, outcome.rows, seconds, outcome.outcomes, outcome.error, outcome.data_docs
    )
