"""Assigning complaints to the people who handle them, one or many at once.

Refuses: a role without `complaint.assign`; an assignee who is not a handler or manager of the
organisation; complaints that are no longer open.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.states import OPEN
from auditkit.core.db import utcnow
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, Role, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership

HANDLING_ROLES = (Role.HANDLER.value, Role.MANAGER.value)


def handlers(organisation_id: int) -> list[Membership]:
    return list(db.session.execute(
        select(Membership).where(Membership.organisation_id == organisation_id,
                                 Membership.role.in_(HANDLING_ROLES))
    ).scalars())


def assign_complaints(actor: Actor, complaints: list[Complaint], assignee_id: int | None) -> int:
    """Give the complaints to `assignee_id` (None: unassign); returns how many changed."""
    require(actor, "complaint.assign")
    if assignee_id is not None and assignee_id not in {m.user_id for m in handlers(actor.organisation_id)}:
        raise ValidationFailed({"assignee_id": _("Choose a handler or manager of the organisation.")})
    closed = [c.reference for c in complaints if c.status_enum not in OPEN]
    if closed:
        raise ValidationFailed({"_": _("Only open complaints are assigned: %(references)s is not open.",
                                       references=", ".join(closed))})
    changed = 0
    now = utcnow()
    for complaint in complaints:
        if complaint.assignee_id == assignee_id:
            continue
        db.session.add(ComplaintEvent(
            organisation_id=complaint.organisation_id, complaint_id=complaint.id, at=now, actor_id=actor.user_id,
            actor_label=actor.label, kind="assign", data={"from": complaint.assignee_id, "to": assignee_id}))
        complaint.assignee_id = assignee_id
        changed += 1
    db.session.flush()
    return changed
