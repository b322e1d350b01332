"""student.status and left_on (在读, 已毕业, 转出, 停用 and since when), school.school_year: the school year rolls over

Revision ID: b7e1c5d93a20
Revises: a9d4e2f17c35
Create Date: 2026-12-07 11:10:00

"""
from datetime import datetime
from zoneinfo import ZoneInfo

from alembic import op
import sqlalchemy as sa


revision = 'b7e1c5d93a20'
down_revision = 'a9d4e2f17c35'
branch_labels = None
depends_on = None


def upgrade():
    # The school year under way as the migration runs (September to August, Shanghai): the year a school already in
    # use has its classes in.
    today = datetime.now(ZoneInfo('Asia/Shanghai')).date()
    year = today.year if today.month >= 9 else today.year - 1
    with op.batch_alter_table('school') as batch_op:
        batch_op.add_column(sa.Column('school_year', sa.Integer(), nullable=False, server_default=str(year)))
    with op.batch_alter_table('school') as batch_op:
        batch_op.alter_column('school_year', server_default=None)
    with op.batch_alter_table('student') as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='enrolled'))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
    # A student deactivated before there were reasons left on the day the record last changed.
    op.execute("UPDATE student SET status = 'left', left_on = DATE(updated_at) WHERE active = false")
    with op.batch_alter_table('student') as batch_op:
        batch_op.create_check_constraint(op.f('ck_student_status_known'),
                                         "status IN ('enrolled', 'graduated', 'transferred', 'left')")
        batch_op.create_check_constraint(op.f('ck_student_status_active'), "(status = 'enrolled') = active")


def downgrade():
    with op.batch_alter_table('student') as batch_op:
        batch_op.drop_constraint(op.f('ck_student_status_active'), type_='check')
        batch_op.drop_constraint(op.f('ck_student_status_known'), type_='check')
        batch_op.drop_column('left_on')
        batch_op.drop_column('status')
    with op.batch_alter_table('school') as batch_op:
        batch_op.drop_column('school_year')
