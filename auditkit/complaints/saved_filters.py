"""Saved register filters: a person names the filter they are looking at and opens it again later.

Refuses: an empty or too long name, a name the person already uses, a query string that is too long;
deleting someone else's saved filter (404).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _
from sqlalchemy import select

from auditkit.complaints.models import SavedFilter
from auditkit.core.errors import NotFound, ValidationFailed
from auditkit.core.security import Actor, load_for, require
from auditkit.extensions import db

KEPT = ("q", "status", "channel", "category_id", "severity", "assignee", "overdue", "due_soon", "received_from",
        "received_to", "sort")


def saved_filters(actor: Actor) -> list[SavedFilter]:
    return list(db.session.execute(select(SavedFilter).where(
        SavedFilter.organisation_id == actor.organisation_id, SavedFilter.user_id == actor.user_id)
        .order_by(SavedFilter.name)).scalars())


def save_filter(actor: Actor, name: str, query_string: str) -> SavedFilter:
    require(actor, "complaint.view")
    name = name.strip()
    query = urlencode([(k, v) for k, v in parse_qsl(query_string) if k in KEPT and v])
    if not name or len(name) > 100:
        raise ValidationFailed({"name": _("Give the filter a name of 1 to 100 characters.")})
    if len(query) > 2000:
        raise ValidationFailed({"name": _("This filter is too long to save.")})
    if any(saved.name == name for saved in saved_filters(actor)):
        raise ValidationFailed({"name": _("You already have a filter with this name.")})
    saved = SavedFilter(organisation_id=actor.organisation_id, user_id=actor.user_id, name=name, query=query)
    db.session.add(saved)
    db.session.flush()
    return saved


def delete_filter(actor: Actor, filter_id: int) -> None:
    saved = load_for(actor, SavedFilter, filter_id, "complaint.view")
    if saved.user_id != actor.user_id:
        raise NotFound()
    db.session.delete(saved)
    db.session.flush()
