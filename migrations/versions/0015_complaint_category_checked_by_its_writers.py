"""a complaint's category checked by its writers: on PostgreSQL no foreign key from a complaint to its category.
Every writer checks the category is one of the organisation's own (which the key could not), categories are
retired and never deleted (so its SET NULL never acted), and the key cost a check per complaint written: 8% of
a million-row import. SQLite keeps its key: taking it out would rebuild the complaint table, and dropping the
old one would cascade its events and attachments away.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 14:20:00

"""
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

NAME = "fk_complaint_category_id_complaint_category"


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(NAME, "complaint", type_="foreignkey")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_foreign_key(NAME, "complaint", "complaint_category", ["category_id"], ["id"], ondelete="SET NULL")
