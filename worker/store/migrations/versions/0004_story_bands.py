"""story_bands: the indexed near-duplicate lookup (SimHash LSH buckets); the throttle index

Story assignment no longer scans recent articles under a fleet-wide lock; it reads the
rows sharing one of the new article's buckets (see worker/pipeline/stories.py).
Existing fingerprinted articles are banded on upgrade in Python, in batches.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 02:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('story_bands',
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('simhash', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('bucket', 'article_id', name=op.f('pk_story_bands'))
    )
    op.create_index(op.f('ix_story_bands_story_id'), 'story_bands', ['story_id'], unique=False)
    op.create_index('ix_deliveries_channel_released', 'deliveries', ['channel', 'released_at'], unique=False)
    # Band what is already stored, so old stories are still found.
    from worker.store.models import band_keys  # noqa: PLC0415 - migration-time only

    bind = op.get_bind()
    rows = bind.execute(sa.text(
        "SELECT id, story_id, simhash FROM articles WHERE simhash IS NOT NULL AND story_id IS NOT NULL"
    )).all()
    table = sa.table('story_bands', sa.column('bucket'), sa.column('article_id'),
                     sa.column('story_id'), sa.column('simhash'))
    batch: list[dict[str, int]] = []
    for art_id, story_id, fp in rows:
        batch += [{"bucket": k, "article_id": art_id, "story_id": story_id, "simhash": fp}
                  for k in band_keys(fp & ((1 << 64) - 1))]
        if len(batch) >= 5000:
            op.bulk_insert(table, batch)
            batch = []
    if batch:
        op.bulk_insert(table, batch)


def downgrade() -> None:
    op.drop_index('ix_deliveries_channel_released', table_name='deliveries')
    op.drop_index(op.f('ix_story_bands_story_id'), table_name='story_bands')
    op.drop_table('story_bands')
