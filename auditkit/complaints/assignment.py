"""Assigning complaints to the people who handle them, one or many at once.

Every assignment carries the version of each complaint as the person assigning saw it (the complaint's page,
or the register's row), as the lifecycle's steps do: when any of them changed since, nothing is assigned and
`Conflict` (409) names the references that changed, so no one's change is overwritten unseen.

Refuses: a role without `complaint.assign`; a stale version (409); an assignee who is not a handler or manager
of the organisation; complaints that are no longer open.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints.models import Complaint, ComplaintEvent
from auditkit.complaints.states import OPEN
from auditkit.core.db import utcnow
from auditkit.core.errors import Conflict, ValidationFailed
from auditkit.core.security import Actor, Role, require
from auditkit.extensions import db
from auditkit.orgs.models import Membership

HANDLING_ROLES = (Role.HANDLER.value, Role.MANAGER.value)


def handlers(organisation_id: int) -> list[Membership]:
    return list(db.session.execute(
        select(Membership).where(Membership.organisation_id == organisation_id,
                                 Membership.role.in_(HANDLING_ROLES))
    ).scalars())


def assign_complaints(actor: Actor, complaints: list[Complaint], assignee_id: int | None, *,
                      versions: Mapping[int, int | None]) -> int:
    """Give the complaints to `assignee_id` (None: unassign); returns how many changed.

    `versions` maps each complaint's id to the version the actor saw; a complaint missing from it, or seen at
    another version, refuses the whole call (Conflict, naming the references) before anything is written.
    """
    require(actor, "complaint.assign")
    stale = [c.reference for c in complaints if versions.get(c.id) != c.version]
    if stale:
        raise Conflict(_("Nothing was assigned: someone else changed %(references)s meanwhile. Check and assign "
                         "again.", references=", ".join(stale)))
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
