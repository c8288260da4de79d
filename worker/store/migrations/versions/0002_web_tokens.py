"""web console: API tokens, console feeds and topics, alert feedback, muted stories, full-text search

Full-text search over articles (title + cleaned text): on SQLite an FTS5 table kept in step
with ``articles`` by triggers; on PostgreSQL a GIN index on the same tsvector expression
that ``worker.web._actions.search_articles`` queries.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 01:15:00
"""
from alembic import op
import sqlalchemy as sa
import worker.store.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', worker.store.models.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('console_feeds',
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('poll_interval_s', sa.Float(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('url', name=op.f('pk_console_feeds'))
    )
    op.create_table('console_topics',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=True),
    sa.Column('query', sa.Text(), nullable=False),
    sa.Column('min_score', sa.Float(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=True),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('max_per_hour', sa.Integer(), nullable=True),
    sa.Column('created_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_console_topics'))
    )
    op.create_table('muted_stories',
    sa.Column('story_id', sa.Integer(), nullable=False),
    sa.Column('at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['story_id'], ['stories.id'], name=op.f('fk_muted_stories_story_id_stories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('story_id', name=op.f('pk_muted_stories'))
    )
    op.create_table('alert_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.String(length=200), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=10), nullable=False),
    sa.Column('at', worker.store.models.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_alert_feedback_article_id_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert_feedback')),
    sa.UniqueConstraint('topic_id', 'article_id', name=op.f('uq_alert_feedback_topic_id_article_id'))
    )
    op.create_index(op.f('ix_alert_feedback_topic_id'), 'alert_feedback', ['topic_id'], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == 'postgresql':
        op.execute(PG_FTS_INDEX)


# the search document; the same expression is in worker/web/_actions.py (search_articles).
# Cut at 200,000 characters: a tsvector over 1 MB is an error, and an index error would
# fail the pipeline's write of the article itself.
SQLITE_FTS = [
    "CREATE VIRTUAL TABLE articles_fts USING fts5(title, text, content='articles', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); END",
    "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, text ON articles BEGIN "
    "INSERT INTO articles_fts(articles_fts, rowid, title, text) VALUES ('delete', old.id, old.title, old.text); "
    "INSERT INTO articles_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END",
    "INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')",
]
PG_FTS_INDEX = (
    "CREATE INDEX ix_articles_fts ON articles USING gin "
    "(to_tsvector('simple', left(coalesce(title, '') || ' ' || coalesce(text, ''), 200000)))"
)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for name in ('articles_fts_ai', 'articles_fts_ad', 'articles_fts_au'):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_articles_fts")
    op.drop_index(op.f('ix_alert_feedback_topic_id'), table_name='alert_feedback')
    op.drop_table('alert_feedback')
    op.drop_table('muted_stories')
    op.drop_table('console_topics')
    op.drop_table('console_feeds')
    op.drop_table('api_tokens')
