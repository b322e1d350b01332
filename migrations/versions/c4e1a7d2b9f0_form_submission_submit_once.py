"""form_submission: a creating form's send by fingerprint, so Back and Save again saves once

Revision ID: c4e1a7d2b9f0
Revises: be22e5a429b0
Create Date: 2026-12-06 21:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4e1a7d2b9f0'
down_revision = 'be22e5a429b0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_submission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('location', sa.String(length=2000), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_form_submission_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_form_submission')),
    sa.UniqueConstraint('user_id', 'fingerprint', name=op.f('uq_form_submission_user_id_fingerprint'))
    )


def downgrade():
    op.drop_table('form_submission')
