"""platform.service_hosts: hosts an operator allows for a platform's services besides its registered URLs

Revision ID: 0006_security
Revises: 0005
Create Date: 2026-12-04 16:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006_security'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform') as batch:
        batch.add_column(sa.Column('service_hosts', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('platform') as batch:
        batch.drop_column('service_hosts')
