"""wall options and announcements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:08:26.240560
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('announcement', sa.JSON(), nullable=True))

    with op.batch_alter_table('walls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('options', sa.JSON(), nullable=False,
                                      server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('walls', schema=None) as batch_op:
        batch_op.drop_column('options')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('announcement')
