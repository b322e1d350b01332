"""erasure_request: a guardian asks for a child's sensitive data to be erased, the office confirms

Revision ID: d5a9c7e3f812
Revises: c3f8a2e61b47
Create Date: 2026-12-07 12:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'd5a9c7e3f812'
down_revision = 'c3f8a2e61b47'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'erasure_request',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('requested_by_id', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('handled_by_id', sa.Integer(), nullable=True),
        sa.Column('handled_at', sa.DateTime(), nullable=True),
        sa.Column('school_id', sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'done')", name=op.f('ck_erasure_request_status_known')),
        sa.ForeignKeyConstraint(['handled_by_id'], ['user.id'], name=op.f('fk_erasure_request_handled_by_id_user')),
        sa.ForeignKeyConstraint(['requested_by_id'], ['user.id'], name=op.f('fk_erasure_request_requested_by_id_user')),
        sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_erasure_request_school_id_school')),
        sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_erasure_request_student_id_student')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_request')),
    )
    with op.batch_alter_table('erasure_request') as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_request_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_erasure_request_student_id'), ['student_id'], unique=False)


def downgrade():
    with op.batch_alter_table('erasure_request') as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_request_student_id'))
        batch_op.drop_index(batch_op.f('ix_erasure_request_school_id'))
    op.drop_table('erasure_request')
