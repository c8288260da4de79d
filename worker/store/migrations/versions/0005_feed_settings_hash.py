"""feeds.settings_hash: what a feed was last synced under (its config and the network
policy), so that a changed config or allowlist retries a backed-off feed at once

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 02:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('feeds') as batch:
        batch.add_column(sa.Column('settings_hash', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('feeds') as batch:
        batch.drop_column('settings_hash')
