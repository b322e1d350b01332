"""events: partners, audience, registration, helpers, summary, photos; calendar feed token

Revision ID: be22e5a429b0
Revises: 2d8d4d11d7b2
Create Date: 2026-11-24 04:25:48.618146

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'be22e5a429b0'
down_revision = '2d8d4d11d7b2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('contact', sa.String(length=40), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_partner_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_partner')),
    sa.UniqueConstraint('school_id', 'name', name=op.f('uq_partner_school_id_name'))
    )
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_school_id'), ['school_id'], unique=False)

    op.create_table('event_class',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('class_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['class_id'], ['school_class.id'], name=op.f('fk_event_class_class_id_school_class')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_class_event_id_event')),
    sa.PrimaryKeyConstraint('event_id', 'class_id', name=op.f('pk_event_class'))
    )
    op.create_table('event_photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=60), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=20), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_photo_event_id_event')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_event_photo_school_id_school')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_event_photo_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_photo')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_event_photo_stored_name'))
    )
    with op.batch_alter_table('event_photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_photo_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_photo_school_id'), ['school_id'], unique=False)

    op.create_table('event_helper',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('volunteer_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attended', sa.Boolean(), nullable=True),
    sa.Column('hour_entry_id', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("role IN ('lead', 'speaker', 'helper')", name=op.f('ck_event_helper_role_known')),
    sa.CheckConstraint("status IN ('confirmed', 'cancelled')", name=op.f('ck_event_helper_status_known')),
    sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_event_helper_added_by_id_user')),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_event_helper_event_id_event')),
    sa.ForeignKeyConstraint(['hour_entry_id'], ['hour_entry.id'], name=op.f('fk_event_helper_hour_entry_id_hour_entry')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_event_helper_school_id_school')),
    sa.ForeignKeyConstraint(['volunteer_id'], ['volunteer.id'], name=op.f('fk_event_helper_volunteer_id_volunteer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_helper')),
    sa.UniqueConstraint('event_id', 'volunteer_id', name=op.f('uq_event_helper_event_id_volunteer_id'))
    )
    with op.batch_alter_table('event_helper', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_helper_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_helper_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_helper_volunteer_id'), ['volunteer_id'], unique=False)

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('partner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('precision', sa.String(length=8), nullable=False, server_default='time'))
        batch_op.add_column(sa.Column('lead_groups', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('audience_grades', sa.String(length=40), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('for_parents', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('for_volunteers', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('capacity', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('taken', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('queue_no', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('deadline', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('helpers_needed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('speakers_needed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=200), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('summary', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('participants', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('summarised_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('summarised_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_event_partner_id'), ['partner_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_event_summarised_by_id_user'), 'user', ['summarised_by_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_event_partner_id_partner'), 'partner', ['partner_id'], ['id'])
        batch_op.create_check_constraint('precision_known', "precision IN ('time', 'day', 'month', 'half')")
        batch_op.create_check_constraint('seats', 'capacity BETWEEN 0 AND 5000 AND taken >= 0 AND taken <= capacity')
        batch_op.create_check_constraint('helpers_range',
                                         'helpers_needed BETWEEN 0 AND 200 AND speakers_needed BETWEEN 0 AND 200')
        batch_op.create_check_constraint('participants_positive', 'participants IS NULL OR participants >= 0')

    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sa.Integer(), nullable=True))
        batch_op.alter_column('session_id',
               existing_type=sa.INTEGER(),
               nullable=True)
        batch_op.create_index(batch_op.f('ix_registration_event_id'), ['event_id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_registration_event_id_code'), ['event_id', 'code'])
        batch_op.create_unique_constraint(batch_op.f('uq_registration_event_id_family_id'), ['event_id', 'family_id'])
        batch_op.create_unique_constraint(batch_op.f('uq_registration_event_id_seq'), ['event_id', 'seq'])
        batch_op.create_foreign_key(batch_op.f('fk_registration_event_id_event'), 'event', ['event_id'], ['id'])
        batch_op.create_check_constraint('one_holder', '(session_id IS NULL) <> (event_id IS NULL)')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_token', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_calendar_token'), ['calendar_token'])



def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_calendar_token'), type_='unique')
        batch_op.drop_column('calendar_token')

    op.execute("DELETE FROM registration WHERE event_id IS NOT NULL")
    with op.batch_alter_table('registration', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_registration_one_holder'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_registration_event_id_event'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_registration_event_id_seq'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_registration_event_id_family_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_registration_event_id_code'), type_='unique')
        batch_op.drop_index(batch_op.f('ix_registration_event_id'))
        batch_op.alter_column('session_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('event_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        for name in ('participants_positive', 'helpers_range', 'seats', 'precision_known'):
            batch_op.drop_constraint(batch_op.f(f'ck_event_{name}'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_event_partner_id_partner'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_event_summarised_by_id_user'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_event_partner_id'))
        batch_op.drop_column('summarised_by_id')
        batch_op.drop_column('summarised_at')
        batch_op.drop_column('participants')
        batch_op.drop_column('summary')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('speakers_needed')
        batch_op.drop_column('helpers_needed')
        batch_op.drop_column('deadline')
        batch_op.drop_column('queue_no')
        batch_op.drop_column('taken')
        batch_op.drop_column('capacity')
        batch_op.drop_column('for_volunteers')
        batch_op.drop_column('for_parents')
        batch_op.drop_column('audience_grades')
        batch_op.drop_column('lead_groups')
        batch_op.drop_column('precision')
        batch_op.drop_column('partner_id')
        batch_op.drop_column('description')

    with op.batch_alter_table('event_helper', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_helper_volunteer_id'))
        batch_op.drop_index(batch_op.f('ix_event_helper_school_id'))
        batch_op.drop_index(batch_op.f('ix_event_helper_event_id'))

    op.drop_table('event_helper')
    with op.batch_alter_table('event_photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_photo_school_id'))
        batch_op.drop_index(batch_op.f('ix_event_photo_event_id'))

    op.drop_table('event_photo')
    op.drop_table('event_class')
    with op.batch_alter_table('partner', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_school_id'))

    op.drop_table('partner')
