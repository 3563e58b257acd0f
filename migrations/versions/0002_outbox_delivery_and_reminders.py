"""outbox delivery channel and reminder timestamps

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_reminder_sent_at', service.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('opt_in_reminder_sent_at', service.models.base.UTCDateTime(), nullable=True))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('delivered_via', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('delivered_via')
    with op.batch_alter_table('introductions', schema=None) as batch_op:
        batch_op.drop_column('opt_in_reminder_sent_at')
        batch_op.drop_column('consent_reminder_sent_at')
