"""Prefect artifacts of the gate task: links to our HTML report and to GX Data Docs, the worst-symbols table."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_link_artifact, create_markdown_artifact

from tradepipe.stages.gate import GateOutcome


def publish(outcome: GateOutcome, run_id: str) -> None:
    """One markdown artifact (both links + the worst symbols) and one link artifact per report."""
    links = []
    if outcome.html_report:
        report_url = Path(outcome.html_report).as_uri()
        links.append(f"- [Quality report (offline HTML)]({report_url})")
        create_link_artifact(report_url, "quality report", key="quality-report", description=f"gate of {run_id}")
    if outcome.data_docs:
        links.append(f"- [Great Expectations Data Docs]({outcome.data_docs})")
        create_link_artifact(
            outcome.data_docs, "GX Data Docs", key="quality-data-docs", description=f"gate of {run_id}"
        )
    markdown = outcome.worst_markdown + ("\n## Reports\n" + "\n".join(links) + "\n" if links else "")
    create_markdown_artifact(markdown, key="quality-gate", description=f"worst symbols of {run_id}")
