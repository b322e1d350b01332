"""user.temporary_password_until: a password the office gave out works until then, and once, to set one's own

Revision ID: e7b3c9a14d02
Revises: c4e1a7d2b9f0
Create Date: 2026-12-07 01:45:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'e7b3c9a14d02'
down_revision = 'c4e1a7d2b9f0'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.add_column(sa.Column('temporary_password_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('user') as batch_op:
        batch_op.drop_column('temporary_password_until')
