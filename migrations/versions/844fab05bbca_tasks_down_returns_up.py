"""tasks down, returns up (任务下发): a unit's task to the schools under it, each school's return, the files of both
(attachments, photos, files, entries' files) and a competition's entries with their levels

Revision ID: 844fab05bbca
Revises: 8625b5877e84
Create Date: 2026-12-07 20:05:46

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '844fab05bbca'
down_revision = '8625b5877e84'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('parts', sa.String(length=60), nullable=False),
    sa.Column('results_published_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('activity', 'competition', 'report', 'summary')", name=op.f('ck_task_kind_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_task_created_by_id_user')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_task_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_unit_id'), ['unit_id'], unique=False)

    op.create_table('task_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_reason', sa.String(length=500), nullable=False),
    sa.Column('reminded_on', sa.Date(), nullable=True),
    sa.Column('organising_award', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("state IN ('unread', 'read', 'draft', 'submitted', 'returned', 'approved')", name=op.f('ck_task_return_state_known')),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_task_return_school_id_school')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user.id'], name=op.f('fk_task_return_submitted_by_id_user')),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_return_task_id_task'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_return')),
    sa.UniqueConstraint('task_id', 'school_id', name=op.f('uq_task_return_task_id_school_id'))
    )
    with op.batch_alter_table('task_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_return_school_id'), ['school_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_return_task_id'), ['task_id'], unique=False)

    op.create_table('task_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('attachment', 'photo', 'file', 'entry')", name=op.f('ck_task_file_kind_known')),
    sa.ForeignKeyConstraint(['return_id'], ['task_return.id'], name=op.f('fk_task_file_return_id_task_return'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_file_task_id_task'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], name=op.f('fk_task_file_uploaded_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_file')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_task_file_stored_name'))
    )
    with op.batch_alter_table('task_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_file_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_file_task_id'), ['task_id'], unique=False)

    op.create_table('task_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('author', sa.String(length=40), nullable=False),
    sa.Column('class_name', sa.String(length=40), nullable=False),
    sa.Column('teacher', sa.String(length=40), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=True),
    sa.Column('award', sa.String(length=10), nullable=True),
    sa.Column('teacher_award', sa.Boolean(), nullable=False),
    sa.Column('school_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("award IS NULL OR award IN ('first', 'second', 'third', 'merit')", name=op.f('ck_task_entry_award_known')),
    sa.ForeignKeyConstraint(['file_id'], ['task_file.id'], name=op.f('fk_task_entry_file_id_task_file')),
    sa.ForeignKeyConstraint(['return_id'], ['task_return.id'], name=op.f('fk_task_entry_return_id_task_return'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['school_id'], ['school.id'], name=op.f('fk_task_entry_school_id_school')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task_entry'))
    )
    with op.batch_alter_table('task_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_entry_return_id'), ['return_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_entry_school_id'), ['school_id'], unique=False)



def downgrade():
    with op.batch_alter_table('task_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_entry_school_id'))
        batch_op.drop_index(batch_op.f('ix_task_entry_return_id'))

    op.drop_table('task_entry')
    with op.batch_alter_table('task_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_file_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_file_return_id'))

    op.drop_table('task_file')
    with op.batch_alter_table('task_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_return_task_id'))
        batch_op.drop_index(batch_op.f('ix_task_return_school_id'))

    op.drop_table('task_return')
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_task_unit_id'))

    op.drop_table('task')
