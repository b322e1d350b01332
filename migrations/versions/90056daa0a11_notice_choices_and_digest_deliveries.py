"""notice choices: how a reader wants each kind; a delivery held for the daily digest; posts to the staff's group

Revision ID: 90056daa0a11
Revises: 6c082fef6fd0
Create Date: 2026-12-07 16:32:15

"""
from alembic import op
import sqlalchemy as sa


revision = '90056daa0a11'
down_revision = '6c082fef6fd0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice_choice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('mode', sa.String(length=10), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("mode IN ('now', 'digest', 'off')", name=op.f('ck_notice_choice_mode_known')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_notice_choice_school_id_school')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notice_choice_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_choice')),
    sa.UniqueConstraint('user_id', 'kind', name=op.f('uq_notice_choice_user_id_kind'))
    )
    with op.batch_alter_table('notice_choice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notice_choice_school_id'), ['school_id'], unique=False)

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('key', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('text', sa.String(length=300), server_default='', nullable=False))
        batch_op.add_column(sa.Column('url', sa.String(length=300), server_default='', nullable=False))
        batch_op.alter_column('notice_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_delivery_key'), ['key'])
        batch_op.drop_constraint(batch_op.f('ck_delivery_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', "channel IN ('email', 'sms', 'group')")


def downgrade():
    op.execute("DELETE FROM delivery WHERE channel = 'group'")
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_delivery_key'), type_='unique')
        batch_op.alter_column('notice_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('url')
        batch_op.drop_column('text')
        batch_op.drop_column('key')
        batch_op.drop_constraint(batch_op.f('ck_delivery_channel_known'), type_='check')
        batch_op.create_check_constraint('channel_known', "channel IN ('email', 'sms')")
        batch_op.drop_column('digest')

    with op.batch_alter_table('notice_choice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notice_choice_school_id'))

    op.drop_table('notice_choice')
