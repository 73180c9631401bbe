"""desk: hold, flags, search, pause, undo, assignments

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:23:07.019999
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('user_events',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_user_events_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_events_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'event_id', name=op.f('pk_user_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('undone', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('flags', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('is_reply', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('is_repost', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('hashtag_index', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('search_index', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('wall_pending', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('wall_pending')
        batch_op.drop_column('search_index')
        batch_op.drop_column('hashtag_index')
        batch_op.drop_column('is_repost')
        batch_op.drop_column('is_reply')
        batch_op.drop_column('flags')
        batch_op.drop_column('held')

    with op.batch_alter_table('moderation_actions', schema=None) as batch_op:
        batch_op.drop_column('undone')

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('paused')

    op.drop_table('user_events')
