"""learner: scores owed per course column, pages read, attempt grants, saved quiz answers

Revision ID: 0007_learner
Revises: 0006_security
Create Date: 2026-12-06 09:00:00

- grade_delivery: a score is owed to the course's column for a module (course_id, module_id); its
  placement may be unknown (then lineitem_url is the column found by resourceId); new status no_column.
- placement.deep_linked_at: placements made by a Deep Linking reply.
- progress.pages_read (what completion counts; the pages opened so far count as read) and
  progress.attempts_granted; attempt_grant records who gave more attempts, when and why.
- attempt.draft / draft_saved_at / submit_requested_at / due_at: answers saved as the learner goes.
"""
from alembic import op
import sqlalchemy as sa

import lti_tool.models_base

revision = '0007_learner'
down_revision = '0006_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('grade_delivery') as batch:
        batch.add_column(sa.Column('course_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('module_id', sa.String(length=32), nullable=True))
        batch.add_column(sa.Column('lineitem_url', sa.String(length=1024), nullable=True))
    op.execute("UPDATE grade_delivery SET "
               "course_id = (SELECT placement.course_id FROM placement WHERE placement.id = grade_delivery.placement_id), "
               "module_id = (SELECT COALESCE(placement.module_id, '') FROM placement "
               "WHERE placement.id = grade_delivery.placement_id)")
    op.drop_index('ix_grade_delivery_target', table_name='grade_delivery')
    with op.batch_alter_table('grade_delivery') as batch:
        batch.alter_column('course_id', existing_type=sa.Integer(), nullable=False)
        batch.alter_column('module_id', existing_type=sa.String(length=32), nullable=False)
        batch.alter_column('placement_id', existing_type=sa.Integer(), nullable=True)
        batch.create_foreign_key('fk_grade_delivery_course_id_course', 'course', ['course_id'], ['id'],
                                 ondelete='CASCADE')
    op.create_index('ix_grade_delivery_column', 'grade_delivery', ['course_id', 'module_id', 'participant_id'])

    with op.batch_alter_table('placement') as batch:
        batch.add_column(sa.Column('deep_linked_at', lti_tool.models_base.UTCDateTime(), nullable=True))

    with op.batch_alter_table('progress') as batch:
        batch.add_column(sa.Column('pages_read', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('attempts_granted', sa.Integer(), nullable=False, server_default='0'))
    # pages opened before this version counted as read: they keep counting
    op.execute("UPDATE progress SET pages_read = pages_seen")
    with op.batch_alter_table('progress') as batch:
        batch.alter_column('pages_read', existing_type=sa.JSON(), nullable=False)

    with op.batch_alter_table('attempt') as batch:
        batch.add_column(sa.Column('draft', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('draft_saved_at', lti_tool.models_base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('submit_requested_at', lti_tool.models_base.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('due_at', lti_tool.models_base.UTCDateTime(), nullable=True))
    op.create_index('ix_attempt_due_at', 'attempt', ['due_at'])

    op.create_table('attempt_grant',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('progress_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('attempts_added', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('granted_by', sa.String(length=255), nullable=False),
        sa.Column('created_at', lti_tool.models_base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['progress_id'], ['progress.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['participant.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_attempt_grant_progress_id', 'attempt_grant', ['progress_id'])


def downgrade():
    op.drop_index('ix_attempt_grant_progress_id', table_name='attempt_grant')
    op.drop_table('attempt_grant')
    op.drop_index('ix_attempt_due_at', table_name='attempt')
    with op.batch_alter_table('attempt') as batch:
        for column in ('due_at', 'submit_requested_at', 'draft_saved_at', 'draft'):
            batch.drop_column(column)
    with op.batch_alter_table('progress') as batch:
        batch.drop_column('attempts_granted')
        batch.drop_column('pages_read')
    with op.batch_alter_table('placement') as batch:
        batch.drop_column('deep_linked_at')
    # scores owed to a column without a known placement cannot be kept in the old shape
    op.execute("DELETE FROM grade_delivery WHERE placement_id IS NULL")
    op.drop_index('ix_grade_delivery_column', table_name='grade_delivery')
    with op.batch_alter_table('grade_delivery') as batch:
        batch.drop_constraint('fk_grade_delivery_course_id_course', type_='foreignkey')
        batch.alter_column('placement_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_column('lineitem_url')
        batch.drop_column('module_id')
        batch.drop_column('course_id')
    op.create_index('ix_grade_delivery_target', 'grade_delivery', ['placement_id', 'participant_id'])
