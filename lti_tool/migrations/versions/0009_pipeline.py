"""courses without a context are per resource link; the LMS's person_country and agency are per enrolment

Revision ID: 0009_pipeline
Revises: 0008_glossary
Create Date: 2026-12-04 16:00:00

- course: `link_deployment_id` and `resource_link_id` join the unique key, so a launch without an
  LTI context gets a course of its own per (deployment, resource link) instead of the platform's
  one shared course. Courses made before keep 0 and "" (the old shared course stays as it was:
  which link each of its people came through is not recorded).
- enrolment: `profile_country` and `agency` from the LMS, per course. The participant's
  `profile_country` is copied to each of their enrolments, then dropped; `participant.agency`
  stays as the learner's own answer.
"""
from alembic import op
import sqlalchemy as sa

revision = '0009_pipeline'
down_revision = '0008_glossary'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('course') as batch:
        batch.add_column(sa.Column('link_deployment_id', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('resource_link_id', sa.String(length=255), nullable=False, server_default=''))
        batch.drop_constraint('uq_course_context', type_='unique')
        batch.create_unique_constraint(
            'uq_course_key', ['platform_id', 'context_id', 'link_deployment_id', 'resource_link_id'])
    with op.batch_alter_table('enrolment') as batch:
        batch.add_column(sa.Column('profile_country', sa.String(length=2), nullable=True))
        batch.add_column(sa.Column('agency', sa.String(length=255), nullable=True))
    op.execute(
        "UPDATE enrolment SET profile_country = "
        "(SELECT participant.profile_country FROM participant WHERE participant.id = enrolment.participant_id)"
    )
    with op.batch_alter_table('participant') as batch:
        batch.drop_column('profile_country')


def downgrade():
    with op.batch_alter_table('participant') as batch:
        batch.add_column(sa.Column('profile_country', sa.String(length=2), nullable=True))
    op.execute(
        "UPDATE participant SET profile_country = (SELECT MAX(enrolment.profile_country) FROM enrolment "
        "WHERE enrolment.participant_id = participant.id)"
    )
    with op.batch_alter_table('enrolment') as batch:
        batch.drop_column('agency')
        batch.drop_column('profile_country')
    op.execute("DELETE FROM course WHERE resource_link_id <> ''")
    with op.batch_alter_table('course') as batch:
        batch.drop_constraint('uq_course_key', type_='unique')
        batch.create_unique_constraint('uq_course_context', ['platform_id', 'context_id'])
        batch.drop_column('resource_link_id')
        batch.drop_column('link_deployment_id')
