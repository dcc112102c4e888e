"""access tokens are refreshed under a lease, not under a database lock

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 02:40:00

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('access_token') as batch:
        batch.add_column(sa.Column('refreshing_until', lti_tool.models_base.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('access_token') as batch:
        batch.drop_column('refreshing_until')
