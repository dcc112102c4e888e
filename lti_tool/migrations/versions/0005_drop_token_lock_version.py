"""drop access_token.lock_version: token refreshes use the lease of 0004

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 04:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_token') as batch:
        batch.drop_column('lock_version')


def downgrade():
    with op.batch_alter_table('access_token') as batch:
        batch.add_column(sa.Column('lock_version', sa.Integer(), nullable=False, server_default='0'))
