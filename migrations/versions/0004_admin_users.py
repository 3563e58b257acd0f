"""admin users and sign-in attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import service.models.base

revision: str = '0004'
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('admin_users',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', service.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_users')),
    sa.UniqueConstraint('username', name=op.f('uq_admin_users_username'))
    )
    op.create_table('admin_sign_in_attempts',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('username', sa.String(length=80), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('succeeded', sa.Boolean(), nullable=False),
    sa.Column('created_at', service.models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_sign_in_attempts'))
    )
    with op.batch_alter_table('admin_sign_in_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_admin_sign_in_attempts_address', ['address', 'created_at'], unique=False)
        batch_op.create_index('ix_admin_sign_in_attempts_username', ['username', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_sign_in_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_sign_in_attempts_username')
        batch_op.drop_index('ix_admin_sign_in_attempts_address')
    op.drop_table('admin_sign_in_attempts')
    op.drop_table('admin_users')
