"""console_sessions: the console's login sessions in the database (SHA-256 of the id,
CSRF token, user, expiry), so that a console restart keeps users logged in and several
console processes share them

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:30:00
"""
from alembic import op
import sqlalchemy as sa
import worker.store.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id_hash', sa.String(length=64), nullable=False),
        sa.Column('csrf', sa.String(length=64), nullable=False),
        sa.Column('user', sa.String(length=200), nullable=True),
        sa.Column('expires_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id_hash'),
    )
    op.create_index('ix_console_sessions_expires_at', 'console_sessions', ['expires_at'])


def downgrade() -> None:
    op.drop_index('ix_console_sessions_expires_at', table_name='console_sessions')
    op.drop_table('console_sessions')
