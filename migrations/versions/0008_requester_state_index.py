"""Index introductions by (requester, state): request creation counts a requester's
open requests and recent declines on every POST.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_introductions_requester_state", ["requester_id", "state"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("introductions", schema=None) as batch_op:
        batch_op.drop_index("ix_introductions_requester_state")
