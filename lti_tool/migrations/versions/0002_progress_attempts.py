"""progress and quiz attempts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 01:30:00

"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('progress',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('module_id', sa.String(length=32), nullable=False),
    sa.Column('pages_seen', sa.JSON(), nullable=False),
    sa.Column('last_page_id', sa.String(length=64), nullable=True),
    sa.Column('started_at', lti_tool.models_base.UTCDateTime(), nullable=False),
    sa.Column('last_seen_at', lti_tool.models_base.UTCDateTime(), nullable=False),
    sa.Column('completed_at', lti_tool.models_base.UTCDateTime(), nullable=True),
    sa.Column('attempts_used', sa.Integer(), nullable=False),
    sa.Column('best_percent', sa.Float(), nullable=True),
    sa.Column('last_percent', sa.Float(), nullable=True),
    sa.Column('score_percent', sa.Float(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['course_id'], ['course.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['participant_id'], ['participant.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('course_id', 'participant_id', 'module_id', name='uq_progress')
    )
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.create_index('ix_progress_course_module', ['course_id', 'module_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_progress_participant_id'), ['participant_id'], unique=False)

    op.create_table('attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('progress_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('placement_id', sa.Integer(), nullable=True),
    sa.Column('paper', sa.JSON(), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=True),
    sa.Column('question_points', sa.JSON(), nullable=True),
    sa.Column('points', sa.Float(), nullable=True),
    sa.Column('max_points', sa.Integer(), nullable=True),
    sa.Column('percent', sa.Float(), nullable=True),
    sa.Column('pass_mark', sa.Integer(), nullable=True),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('lang', sa.String(length=8), nullable=False),
    sa.Column('created_at', lti_tool.models_base.UTCDateTime(), nullable=False),
    sa.Column('submitted_at', lti_tool.models_base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['placement_id'], ['placement.id'], ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['progress_id'], ['progress.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key'),
    sa.UniqueConstraint('progress_id', 'number', name='uq_attempt_number')
    )
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attempt_placement_id'), ['placement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_attempt_progress_id'), ['progress_id'], unique=False)


def downgrade():
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attempt_progress_id'))
        batch_op.drop_index(batch_op.f('ix_attempt_placement_id'))

    op.drop_table('attempt')
    with op.batch_alter_table('progress', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_progress_participant_id'))
        batch_op.drop_index('ix_progress_course_module')

    op.drop_table('progress')
