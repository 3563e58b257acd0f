"""Target preferences, the suppression list, introducer no-go lists, request topics
and the held neutral outcome.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = service.models.base.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("topics", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("notice_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("held_state", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("held_answers", sa.JSON(), nullable=True))

    op.create_table(
        "target_preferences",
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("accepting_introductions", sa.Boolean(), nullable=False),
        sa.Column("max_requests", sa.Integer(), nullable=True),
        sa.Column("period_days", sa.Integer(), nullable=False),
        sa.Column("min_trust", sa.Integer(), nullable=True),
        sa.Column("blocked_topics", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC(), nullable=False),
        sa.CheckConstraint(
            "min_trust IS NULL OR min_trust BETWEEN 1 AND 5",
            name=op.f("ck_target_preferences_min_trust_range"),
        ),
        sa.CheckConstraint(
            "max_requests IS NULL OR max_requests >= 1",
            name=op.f("ck_target_preferences_max_requests_min"),
        ),
        sa.CheckConstraint(
            "period_days BETWEEN 1 AND 365",
            name=op.f("ck_target_preferences_period_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_target_preferences_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_target_preferences_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_target_preferences")),
    )

    op.create_table(
        "suppressed_addresses",
        sa.Column("address_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.PrimaryKeyConstraint("address_hash", name=op.f("pk_suppressed_addresses")),
    )

    op.create_table(
        "introducer_no_go",
        sa.Column("introducer_id", sa.String(length=32), nullable=False),
        sa.Column("target_id", sa.String(length=32), nullable=False),
        sa.Column("workspace_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["introducer_id"],
            ["members.id"],
            name=op.f("fk_introducer_no_go_introducer_id_members"),
        ),
        sa.ForeignKeyConstraint(
            ["target_id"], ["members.id"], name=op.f("fk_introducer_no_go_target_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_introducer_no_go_workspace_id_workspaces"),
        ),
        sa.PrimaryKeyConstraint("introducer_id", "target_id", name=op.f("pk_introducer_no_go")),
    )


def downgrade() -> None:
    op.drop_table("introducer_no_go")
    op.drop_table("suppressed_addresses")
    op.drop_table("target_preferences")
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_column("held_answers")
        batch_op.drop_column("held_state")
        batch_op.drop_column("notice_at")
        batch_op.drop_column("topics")
