"""school.first_grade/last_grade, volunteer.former_unit, import_batch.data: what a roster import needs

Revision ID: a9d4e2f17c35
Revises: e7b3c9a14d02
Create Date: 2026-12-07 10:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'a9d4e2f17c35'
down_revision = 'e7b3c9a14d02'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('school') as batch_op:
        batch_op.add_column(sa.Column('first_grade', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('last_grade', sa.Integer(), nullable=False, server_default='6'))
    # A school already in use teaches the grades its classes are in.
    op.execute("UPDATE school SET first_grade = (SELECT MIN(grade) FROM school_class WHERE school_id = school.id), "
               "last_grade = (SELECT MAX(grade) FROM school_class WHERE school_id = school.id) "
               "WHERE EXISTS (SELECT 1 FROM school_class WHERE school_id = school.id)")
    with op.batch_alter_table('school') as batch_op:
        batch_op.create_check_constraint(op.f('ck_school_grades'), 'first_grade BETWEEN 1 AND last_grade AND last_grade <= 12')
    with op.batch_alter_table('volunteer') as batch_op:
        batch_op.add_column(sa.Column('former_unit', sa.String(length=100), nullable=False, server_default=''))
    with op.batch_alter_table('import_batch') as batch_op:
        batch_op.add_column(sa.Column('data', sa.LargeBinary(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch') as batch_op:
        batch_op.drop_column('data')
    with op.batch_alter_table('volunteer') as batch_op:
        batch_op.drop_column('former_unit')
    with op.batch_alter_table('school') as batch_op:
        batch_op.drop_constraint(op.f('ck_school_grades'), type_='check')
        batch_op.drop_column('last_grade')
        batch_op.drop_column('first_grade')
