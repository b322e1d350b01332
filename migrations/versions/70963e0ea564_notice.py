"""notice: one sentence for one user, written with its cause

Revision ID: 70963e0ea564
Revises: d5a9c7e3f812
Create Date: 2026-12-07 14:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = '70963e0ea564'
down_revision = 'd5a9c7e3f812'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=60), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('url', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_notice_school_id_school')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice')),
    sa.UniqueConstraint('user_id', 'kind', 'subject', 'due_at', name=op.f('uq_notice_user_id_kind_subject_due_at'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_notice_user_unread', ['user_id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_user_unread')
        batch_op.drop_index(batch_op.f('ix_notice_school_id'))

    op.drop_table('notice')
