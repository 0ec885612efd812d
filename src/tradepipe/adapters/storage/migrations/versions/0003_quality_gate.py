"""quality gate: schema for issue 5 (data-quality gate)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

* ``quarantine.clean_cycles``: consecutive clean cycles of a quarantined symbol (release after N);
* ``quality_runs``: one row per gate run (counts, tier timings, report paths);
* ``quality_reports``: the score, verdict and failed checks of every symbol in every gate run.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clean_cycles", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "quality_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("as_of_ms", sa.BigInteger(), nullable=False),
        sa.Column("symbols", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Integer(), nullable=False),
        sa.Column("warned", sa.Integer(), nullable=False),
        sa.Column("quarantined", sa.Integer(), nullable=False),
        sa.Column("blocked", sa.Integer(), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.Column("polars_seconds", sa.Float(), nullable=False),
        sa.Column("gx_status", sa.String(length=16), nullable=False),  # passed | failed | error | off
        sa.Column("gx_seconds", sa.Float(), nullable=False),
        sa.Column("gx_failed", sa.Text(), nullable=False),  # JSON list of failed expectations
        sa.Column("html_report", sa.Text(), nullable=False),
        sa.Column("data_docs", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_quality_runs_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_quality_runs")),
    )
    op.create_table(
        "quality_reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("venue", sa.String(length=64), nullable=False),
        sa.Column("symbol", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=False),
        sa.Column("issues", sa.Text(), nullable=False),  # JSON list of [check, detail]
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_quality_reports_run_id_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_reports")),
        sa.UniqueConstraint("run_id", "venue", "symbol", name="uq_quality_reports_run_symbol"),
    )
    with op.batch_alter_table("quality_reports", schema=None) as batch_op:
        batch_op.create_index("ix_quality_reports_symbol", ["symbol", "run_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("quality_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_quality_reports_symbol")
    op.drop_table("quality_reports")
    op.drop_table("quality_runs")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_column("clean_cycles")
