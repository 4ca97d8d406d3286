"""the index of complainants' emails on SQLite only: PostgreSQL's planner never read it for the repeat
complainants (it aggregates the window's rows by hash, in parallel, faster than walking a million emails), and
each complaint written descended it to a page of its own: 4 s of the server's 30 s writing a million imported
complaints with their receive events.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 18:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_complaint_email", table_name="complaint")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.create_index("ix_complaint_email", "complaint", ["organisation_id", sa.text("lower(email)"), "received_at"],
                        postgresql_where=sa.text("email IS NOT NULL"))
