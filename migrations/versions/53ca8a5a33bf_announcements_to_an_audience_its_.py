"""announcements (通知): written to an audience; the families, volunteers or staff each one was addressed to; who confirmed reading it

Revision ID: 53ca8a5a33bf
Revises: 90056daa0a11
Create Date: 2026-12-07 16:55:42

"""
from alembic import op
import sqlalchemy as sa


revision = '53ca8a5a33bf'
down_revision = '90056daa0a11'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('announcement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('audience', sa.String(length=10), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('audience_label', sa.String(length=120), nullable=False),
    sa.Column('confirm', sa.Boolean(), nullable=False),
    sa.Column('sent_by_id', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('submit_token', sa.String(length=40), nullable=True),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("(target_id IS NULL) = (audience IN ('volunteers', 'staff'))", name=op.f('ck_announcement_target_fits')),
    sa.CheckConstraint("audience IN ('grade', 'class', 'session', 'event', 'volunteers', 'staff')", name=op.f('ck_announcement_audience_known')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_announcement_school_id_school')),
    sa.ForeignKeyConstraint(['sent_by_id'], ['user.id'], name=op.f('fk_announcement_sent_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement')),
    sa.UniqueConstraint('submit_token', name=op.f('uq_announcement_submit_token'))
    )
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_school_id'), ['school_id'], unique=False)
        batch_op.create_index('ix_announcement_school_sent', ['school_id', 'sent_at'], unique=False)

    op.create_table('announcement_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcement.id'], name=op.f('fk_announcement_receipt_announcement_id_announcement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_announcement_receipt_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_receipt')),
    sa.UniqueConstraint('announcement_id', 'user_id', name=op.f('uq_announcement_receipt_announcement_id_user_id'))
    )
    with op.batch_alter_table('announcement_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_receipt_user_id'), ['user_id'], unique=False)

    op.create_table('announcement_recipient',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('announcement_id', sa.Integer(), nullable=False),
    sa.Column('family_id', sa.Integer(), nullable=True),
    sa.Column('volunteer_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(CASE WHEN family_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN volunteer_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END) = 1', name=op.f('ck_announcement_recipient_one_recipient')),
    sa.ForeignKeyConstraint(['announcement_id'], ['announcement.id'], name=op.f('fk_announcement_recipient_announcement_id_announcement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['family_id'], ['family.id'], name=op.f('fk_announcement_recipient_family_id_family')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_announcement_recipient_user_id_user')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_announcement_recipient_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_announcement_recipient')),
    sa.UniqueConstraint('announcement_id', 'family_id', name=op.f('uq_announcement_recipient_announcement_id_family_id')),
    sa.UniqueConstraint('announcement_id', 'user_id', name=op.f('uq_announcement_recipient_announcement_id_user_id')),
    sa.UniqueConstraint('announcement_id', 'volunteer_id', name=op.f('uq_announcement_recipient_announcement_id_volunteer_id'))
    )
    with op.batch_alter_table('announcement_recipient', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_announcement_recipient_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_recipient_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_announcement_recipient_volunteer_id'), ['volunteer_id'], unique=False)


def downgrade():
    with op.batch_alter_table('announcement_recipient', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_recipient_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_recipient_user_id'))
        batch_op.drop_index(batch_op.f('ix_announcement_recipient_family_id'))

    op.drop_table('announcement_recipient')
    with op.batch_alter_table('announcement_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_announcement_receipt_user_id'))

    op.drop_table('announcement_receipt')
    with op.batch_alter_table('announcement', schema=None) as batch_op:
        batch_op.drop_index('ix_announcement_school_sent')
        batch_op.drop_index(batch_op.f('ix_announcement_school_id'))

    op.drop_table('announcement')
