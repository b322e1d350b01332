"""上报表册: the form of figures a task asks the schools to fill, and each school's copy of it

Revision ID: 848b25acc967
Revises: 844fab05bbca
Create Date: 2026-12-07 20:37:38

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '848b25acc967'
down_revision = '844fab05bbca'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form', sa.JSON(), nullable=True))

    with op.batch_alter_table('task_return', schema=None) as batch_op:
        batch_op.add_column(sa.Column('figures', sa.JSON(), nullable=True))



def downgrade():
    with op.batch_alter_table('task_return', schema=None) as batch_op:
        batch_op.drop_column('figures')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('form')

