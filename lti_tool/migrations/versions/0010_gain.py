"""course_option (knowledge checks on or off, what a certificate is for), course_test (the
knowledge checks before and after), certificate

Revision ID: 0010_gain
Revises: 0006_facilitator
Create Date: 2026-12-04 19:30:00

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base

revision = '0010_gain'
down_revision = '0006_facilitator'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'course_option',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('knowledge_checks', sa.Boolean(), nullable=False),
        sa.Column('certificate_scope', sa.String(length=16), nullable=False),
        sa.Column('updated_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id'),
    )
    op.create_table(
        'course_test',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('paper', sa.JSON(), nullable=False),
        sa.Column('results', sa.JSON(), nullable=True),
        sa.Column('correct', sa.Integer(), nullable=True),
        sa.Column('total', sa.Integer(), nullable=True),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('agency', sa.String(length=255), nullable=True),
        sa.Column('lang', sa.String(length=8), nullable=False),
        sa.Column('created_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('submitted_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.Column('skipped_at', lti_tool.models_base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('course_id', 'participant_id', 'kind', name='uq_course_test'),
    )
    op.create_index('ix_course_test_course_id', 'course_test', ['course_id'], unique=False)
    op.create_index('ix_course_test_participant_id', 'course_test', ['participant_id'], unique=False)
    op.create_table(
        'certificate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('course_id', sa.Integer(), nullable=False),
        sa.Column('participant_id', sa.Integer(), nullable=False),
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('modules', sa.JSON(), nullable=False),
        sa.Column('country', sa.String(length=2), nullable=True),
        sa.Column('started_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('completed_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.Column('issued_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code'),
        sa.UniqueConstraint('course_id', 'participant_id', 'scope', name='uq_certificate'),
    )
    op.create_index('ix_certificate_course_id', 'certificate', ['course_id'], unique=False)
    op.create_index('ix_certificate_participant_id', 'certificate', ['participant_id'], unique=False)


def downgrade():
    op.drop_index('ix_certificate_participant_id', table_name='certificate')
    op.drop_index('ix_certificate_course_id', table_name='certificate')
    op.drop_table('certificate')
    op.drop_index('ix_course_test_participant_id', table_name='course_test')
    op.drop_index('ix_course_test_course_id', table_name='course_test')
    op.drop_table('course_test')
    op.drop_table('course_option')
