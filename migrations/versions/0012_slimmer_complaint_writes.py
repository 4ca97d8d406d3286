"""slimmer writes of complaints and events: no index of the organisation alone on either (every complaint
index leads with it; events are read by complaint), no foreign key from an event to its organisation (its
complaint's cascades), and a partial index of assignees (an unassigned complaint is not in it)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:05:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ASSIGNED = sa.text("assignee_id IS NOT NULL")


def upgrade():
    op.drop_index("ix_complaint_organisation_id", table_name="complaint")
    op.drop_index("ix_complaint_assignee_id", table_name="complaint")
    op.create_index("ix_complaint_assignee_id", "complaint", ["assignee_id"], sqlite_where=ASSIGNED,
                    postgresql_where=ASSIGNED)
    op.drop_index("ix_complaint_event_organisation_id", table_name="complaint_event")
    # SQLite rebuilds the table without the key; the tables it refers to need no reflecting.
    with op.batch_alter_table("complaint_event", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.drop_constraint("fk_complaint_event_organisation_id_organisation", type_="foreignkey")


def downgrade():
    with op.batch_alter_table("complaint_event", reflect_kwargs={"resolve_fks": False}) as batch:
        batch.create_foreign_key("fk_complaint_event_organisation_id_organisation", "organisation",
                                 ["organisation_id"], ["id"], ondelete="CASCADE")
    op.create_index("ix_complaint_event_organisation_id", "complaint_event", ["organisation_id"])
    op.drop_index("ix_complaint_assignee_id", table_name="complaint")
    op.create_index("ix_complaint_assignee_id", "complaint", ["assignee_id"])
    op.create_index("ix_complaint_organisation_id", "complaint", ["organisation_id"])
