"""feeds.polls, feeds.polls_not_modified: how often a feed was fetched and how often it
answered 304 Not Modified, for the share of 304s the console shows per feed

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feeds') as batch:
        batch.add_column(sa.Column('polls', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('polls_not_modified', sa.Integer(), nullable=False,
                                   server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('feeds') as batch:
        batch.drop_column('polls_not_modified')
        batch.drop_column('polls')
