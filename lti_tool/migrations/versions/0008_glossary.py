"""completion.language: the language a module was taken in

Revision ID: 0008_glossary
Revises: 0007_learner
Create Date: 2026-12-04 18:00:00

Completions recorded before this revision keep NULL ("not recorded"): the language their quiz
was shown in cannot be told apart from the interface language afterwards.
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_glossary'
down_revision = '0007_learner'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('completion') as batch:
        batch.add_column(sa.Column('language', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('completion') as batch:
        batch.drop_column('language')
