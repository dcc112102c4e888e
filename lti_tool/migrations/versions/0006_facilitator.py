"""course_module (the facilitator's quiz gate and time limit per course and module);
progress.location (where a learner was last active, for session mode)

Revision ID: 0006_facilitator
Revises: 0009_pipeline
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base

revision = '0006_facilitator'
down_revision = '0009_pipeline'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_module',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('module_id', sa.String(length=32), nullable=False),
        sa.Column('quiz_closed', sa.Boolean(), nullable=False),
        sa.Column('time_limit_minutes', sa.Integer(), nullable=True),
        sa.Column('extra_minutes', sa.Integer(), nullable=False),
        sa.Column('time_limit_set_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.Column('quiz_changed_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.Column('created_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'module_id', name='uq_course_module'),
    )
    op.create_index('ix_course_module_course_id', 'course_module', ['course_id'], unique=False)
    with op.batch_alter_table('progress') as batch:
        batch.add_column(sa.Column('location', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('progress') as batch:
        batch.drop_column('location')
    op.drop_index('ix_course_module_course_id', table_name='course_module')
    op.drop_table('course_module')
