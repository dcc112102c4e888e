"""grade delivery outbox, shared access tokens, completions with country, AGS scopes per course

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 01:05:00

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course') as batch:
        batch.add_column(sa.Column('ags_scopes', sa.JSON(), nullable=True))
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('country_asked_at', lti_tool.models_base.UTCDateTime(), nullable=True))

    op.create_table('completion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=True),
        sa.Column('module_id', sa.String(length=32), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('country_source', sa.String(length=16), nullable=True),
        sa.Column('agency', sa.String(length=255), nullable=True),
        sa.Column('percent', sa.Integer(), nullable=True),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('completed_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'participant_id', 'module_id', name='uq_completion'),
    )
    op.create_index('ix_completion_course_id', 'completion', ['course_id'])
    op.create_index('ix_completion_participant_id', 'completion', ['participant_id'])
    op.create_index('ix_completion_country', 'completion', ['country'])

    op.create_table('grade_delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('placement_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.JSON(), nullable=False),
        sa.Column('score_timestamp', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('status', sa.Enum('PENDING', 'DELIVERED', 'FAILED', 'SUPERSEDED', name='deliverystatus',
                                    native_enum=False, length=16), nullable=False),
        sa.Column('tries', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('claimed_until', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.Column('claimed_by', sa.String(length=64), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('delivered_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_grade_delivery_due', 'grade_delivery', ['status', 'next_attempt_at'])
    op.create_index('ix_grade_delivery_target', 'grade_delivery', ['placement_id', 'participant_id'])

    op.create_table('access_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('platform_id', sa.Integer(), nullable=False),
        sa.Column('scope_key', sa.String(length=1024), nullable=False),
        sa.Column('token', sa.Text(), nullable=True),
        sa.Column('expires_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.Column('lock_version', sa.Integer(), nullable=False),
        sa.Column('requests_made', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['platform_id'], ['platform.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('platform_id', 'scope_key', name='uq_access_token_scopes'),
    )


def downgrade():
    op.drop_table('access_token')
    op.drop_index('ix_grade_delivery_target', table_name='grade_delivery')
    op.drop_index('ix_grade_delivery_due', table_name='grade_delivery')
    op.drop_table('grade_delivery')
    op.drop_index('ix_completion_country', table_name='completion')
    op.drop_index('ix_completion_participant_id', table_name='completion')
    op.drop_index('ix_completion_course_id', table_name='completion')
    op.drop_table('completion')
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('country_asked_at')
    with op.batch_alter_table('course') as batch:
        batch.drop_column('ags_scopes')
