"""retention_policy (how long each kind of a child's record is kept after the child leaves), student.anonymised_at

Revision ID: c3f8a2e61b47
Revises: b7e1c5d93a20
Create Date: 2026-12-07 11:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c3f8a2e61b47'
down_revision = 'b7e1c5d93a20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'retention_policy',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('support_months', sa.Integer(), nullable=False),
        sa.Column('visit_months', sa.Integer(), nullable=False),
        sa.Column('help_months', sa.Integer(), nullable=False),
        sa.Column('identity_months', sa.Integer(), nullable=False),
        sa.Column('photo_months', sa.Integer(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.CheckConstraint('support_months BETWEEN 0 AND 120 AND visit_months BETWEEN 0 AND 120 AND help_months '
                           'BETWEEN 0 AND 120 AND identity_months BETWEEN 0 AND 120 AND photo_months BETWEEN 0 AND 120',
                           name=op.f('ck_retention_policy_months_range')),
        sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_retention_policy_school_id_school')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_policy')),
        sa.UniqueConstraint('school_id', name=op.f('uq_retention_policy_school_id')),
    )
    with op.batch_alter_table('retention_policy') as batch_op:
        batch_op.create_index(batch_op.f('ix_retention_policy_school_id'), ['school_id'], unique=False)
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_column('anonymised_at')
    with op.batch_alter_table('retention_policy') as batch_op:
        batch_op.drop_index(batch_op.f('ix_retention_policy_school_id'))
    op.drop_table('retention_policy')
