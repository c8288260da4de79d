"""relevance: match status (alerted | held_back) and relevance JSON, feedback source,
tuned per-topic relevance models

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 02:20:00
"""
from alembic import op
import sqlalchemy as sa
import worker.store.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=20), server_default='alerted',
                                      nullable=False))
        batch_op.add_column(sa.Column('relevance', sa.JSON(), nullable=True))
        batch_op.create_index(batch_op.f('ix_matches_status'), ['status'], unique=False)
    with op.batch_alter_table('alert_feedback', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=100), nullable=True))
    op.create_table('topic_relevance_models',
    sa.Column('topic_id', sa.String(length=200), nullable=False),
    sa.Column('min_relevance', sa.Float(), nullable=False),
    sa.Column('model', sa.JSON(), nullable=True),
    sa.Column('n_labels', sa.Integer(), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('fitted_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('topic_id', name=op.f('pk_topic_relevance_models'))
    )


def downgrade() -> None:
    op.drop_table('topic_relevance_models')
    with op.batch_alter_table('alert_feedback', schema=None) as batch_op:
        batch_op.drop_column('source')
    with op.batch_alter_table('matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_matches_status'))
        batch_op.drop_column('relevance')
        batch_op.drop_column('status')
