"""events name their actor as written: no foreign key from a complaint's event to the account that acted, as
the audit trail's entries (a record of what was done stays as it was written; accounts are never deleted,
so the key only cost a check per event written)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 13:10:00

"""
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    # SQLite rebuilds the table without the key (nothing refers to events); the tables it refers to need no
    # reflecting.
    with op.batch_alter_table("complaint_event", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.drop_constraint("fk_complaint_event_actor_id_user_account", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("complaint_event", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.create_foreign_key("fk_complaint_event_actor_id_user_account", "user_account", ["actor_id"], ["id"],
                                 ondelete="SET NULL")
