"""Risk assessment columns, feedback, introducer policies, warm-path indexes.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = service.models.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("risk_level", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("risk_score", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("risk_reasons", sa.JSON(), nullable=True))
        batch_op.create_index(
            "ix_introductions_introducer_created", ["introducer_id", "created_at"], unique=False
        )
    with op.batch_alter_table("relationships", schema=None) as batch_op:
        batch_op.create_index(
            "ix_relationships_paths",
            ["from_member_id", "to_member_id", "trust", "introducible"],
            unique=False,
        )

    op.create_table(
        "feedback",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("introduction_id", sa.String(length=32), nullable=False),
        sa.Column("author_id", sa.String(length=32), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("rating", sa.String(length=16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("negative_handled_at", UTC(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["members.id"], name=op.f("fk_feedback_author_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["introduction_id"],
            ["introductions.id"],
            name=op.f("fk_feedback_introduction_id_introductions"),
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_feedback_workspace_id_workspaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint(
            "introduction_id", "author_id", name=op.f("uq_feedback_introduction_id_author_id")
        ),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_introduction_id"), ["introduction_id"], unique=False
        )

    op.create_table(
        "introducer_policies",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("accepting_requests", sa.Boolean(), nullable=False),
        sa.Column("min_trust", sa.Integer(), nullable=True),
        sa.Column("max_requests_per_week", sa.Integer(), nullable=True),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "min_trust IS NULL OR min_trust BETWEEN 1 AND 5",
            name=op.f("ck_introducer_policies_min_trust_range"),
        ),
        sa.CheckConstraint(
            "max_requests_per_week IS NULL OR max_requests_per_week >= 1",
            name=op.f("ck_introducer_policies_max_per_week"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_introducer_policies_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_introducer_policies_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_introducer_policies")),
    )


def downgrade() -> None:
    op.drop_table("introducer_policies")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_introduction_id"))
    op.drop_table("feedback")
    with op.batch_alter_table("relationships", schema=None) as batch_op:
        batch_op.drop_index("ix_relationships_paths")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_index("ix_introductions_introducer_created")
        batch_op.drop_column("risk_reasons")
        batch_op.drop_column("risk_score")
        batch_op.drop_column("risk_level")
