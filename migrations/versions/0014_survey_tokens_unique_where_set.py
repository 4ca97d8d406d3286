"""survey tokens unique where set: on PostgreSQL a partial unique index in place of the unique constraint, so
a complaint without a survey (all but the closed ones, every imported one) costs nothing there. SQLite keeps
its constraint: taking it out would rebuild the complaint table, and dropping the old table would cascade
its events and attachments away.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

CONSTRAINT, INDEX = "uq_complaint_survey_token_hash", "uq_complaint_survey_token"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint(CONSTRAINT, "complaint", type_="unique")
    op.create_index(INDEX, "complaint", ["survey_token_hash"], unique=True,
                    postgresql_where=sa.text("survey_token_hash IS NOT NULL"))


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="complaint")
    op.create_unique_constraint(CONSTRAINT, "complaint", ["survey_token_hash"])
