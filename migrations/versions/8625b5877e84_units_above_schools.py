"""units above schools: an education bureau's 关工委 and its 学区; a school's unit; a unit's users, who have no school;
the 达标 lines a unit sets for its schools' figures

Revision ID: 8625b5877e84
Revises: 53ca8a5a33bf
Create Date: 2026-12-07 19:36:55

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8625b5877e84'
down_revision = '53ca8a5a33bf'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('unit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], name=op.f('fk_unit_parent_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit')),
    sa.UniqueConstraint('name', name=op.f('uq_unit_name'))
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('unit_threshold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('figure', sa.String(length=30), nullable=False),
    sa.Column('value', sa.Numeric(precision=8, scale=1, asdecimal=False), nullable=False),
    sa.CheckConstraint('value >= 0', name=op.f('ck_unit_threshold_value_not_negative')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_threshold_unit_id_unit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_threshold')),
    sa.UniqueConstraint('unit_id', 'figure', name=op.f('uq_unit_threshold_unit_id_figure'))
    )
    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_school_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_school_unit_id_unit'), 'unit', ['unit_id'], ['id'])

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_id', sa.Integer(), nullable=True))
        batch_op.alter_column('school_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_user_unit_id'), ['unit_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_user_unit_id_unit'), 'unit', ['unit_id'], ['id'])
        batch_op.create_check_constraint('school_or_unit', '(school_id IS NULL) <> (unit_id IS NULL)')



def downgrade():
    op.execute('DELETE FROM "user" WHERE school_id IS NULL')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_user_school_or_unit'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_user_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_user_unit_id'))
        batch_op.alter_column('school_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('unit_id')

    with op.batch_alter_table('school', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_school_unit_id_unit'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_school_unit_id'))
        batch_op.drop_column('unit_id')

    op.drop_table('unit_threshold')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))

    op.drop_table('unit')
