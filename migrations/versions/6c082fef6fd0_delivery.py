"""delivery: a notice sent by e-mail or SMS, pending, sent or failed; where a user gets notices besides the portal

Revision ID: 6c082fef6fd0
Revises: 70963e0ea564
Create Date: 2026-12-07 14:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '6c082fef6fd0'
down_revision = '70963e0ea564'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notice_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=120), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("channel IN ('email', 'sms')", name=op.f('ck_delivery_channel_known')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name=op.f('ck_delivery_status_known')),
    sa.ForeignKeyConstraint(['notice_id'], ['notice.id'], name=op.f('fk_delivery_notice_id_notice'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_delivery_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    sa.UniqueConstraint('notice_id', 'channel', name=op.f('uq_delivery_notice_id_channel'))
    )
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_due', ['status', 'next_try_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_notice_id'), ['notice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delivery_school_id'), ['school_id'], unique=False)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email', sa.String(length=120), server_default='', nullable=False))
        batch_op.add_column(sa.Column('notices_by_email', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('notices_by_sms', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('notices_by_sms')
        batch_op.drop_column('notices_by_email')
        batch_op.drop_column('email')

    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delivery_school_id'))
        batch_op.drop_index(batch_op.f('ix_delivery_notice_id'))
        batch_op.drop_index('ix_delivery_due')

    op.drop_table('delivery')
