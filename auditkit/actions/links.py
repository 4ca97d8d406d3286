"""What an action can come from and link to. A kind says how to find a record of an organisation and how to
show it; kinds of features written after this one (audit findings, review outputs, process risks, gap
answers) register here when they exist, so actions never import them. Clauses are linked by key, every
other record by id. The trend source has no record: its subject is the action's category and product.

Both ways: an action's page shows its links; a linked record's page asks core.backlinks, for which this
module registers the actions of each record kind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import has_request_context, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from auditkit.actions.models import ActionLink, CorrectiveAction
from auditkit.complaints.models import Complaint
from auditkit.core import backlinks
from auditkit.core.i18n import pick
from auditkit.core.security import Actor
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard.citations import CITATION_SOURCES, Citation
from auditkit.standard.models import Clause


@dataclass(frozen=True)
class Found:
    label: str
    url: str | None


@dataclass(frozen=True)
class LinkKind:
    name: str
    label: object  # a lazy string
    find: Callable[[Organisation, int | None, str | None], Found | None]  # None: no such record there
    source: bool = True  # may be an action's source


def _complaint(organisation: Organisation, target_id: int | None, _key: str | None) -> Found | None:
    complaint = db.session.execute(select(Complaint.id, Complaint.reference).where(
        Complaint.organisation_id == organisation.id, Complaint.id == target_id)).one_or_none()
    if complaint is None:
        return None
    # Services ask too (does the source exist?), from commands and seeders as well: no request, no page address.
    url = (url_for("complaints.complaint", slug=organisation.slug, complaint_id=complaint.id)
           if has_request_context() else None)
    return Found(complaint.reference, url)


def _clause(organisation: Organisation, _id: int | None, key: str | None) -> Found | None:
    clause = db.session.execute(select(Clause).where(Clause.key == key).order_by(Clause.id.desc())
                                .limit(1)).scalar_one_or_none()
    if clause is None or clause.organisation_id not in (None, organisation.id):
        return None
    return Found(f"{clause.number} {pick(clause.title)}", None)


KINDS: dict[str, LinkKind] = {}
# Sources with no record behind them.
COMPLAINT_TREND, NO_SOURCE = "complaint_trend", "none"
SOURCE_LABELS = {COMPLAINT_TREND: _l("A complaint trend (a category or product)"), NO_SOURCE: _l("No source")}


def register(kind: LinkKind) -> None:
    """Add a kind of record actions link to; a record kind (every kind but clauses) also gets the actions
    linked to each record listed on that record's page (core.backlinks)."""
    KINDS[kind.name] = kind
    if kind.source:
        backlinks.register(kind.name, _backlinks(kind.name))


def source_kinds() -> dict[str, object]:
    """Every kind an action may come from, with its label."""
    kinds = {name: kind.label for name, kind in KINDS.items() if kind.source}
    return {**kinds, **SOURCE_LABELS}


def describe(organisation: Organisation, link: ActionLink) -> Found:
    kind = KINDS.get(link.kind)
    found = kind.find(organisation, link.target_id, link.target_key) if kind else None
    return found or Found(f"{link.kind} {link.target_key or link.target_id} ({_l('no longer there')})", None)


def actions_linked_to(organisation_id: int, kind: str, target_id: int) -> list[CorrectiveAction]:
    return list(db.session.execute(
        select(CorrectiveAction).join(ActionLink, ActionLink.action_id == CorrectiveAction.id)
        .where(ActionLink.organisation_id == organisation_id, ActionLink.kind == kind,
               ActionLink.target_id == target_id).order_by(CorrectiveAction.id)).scalars())


def _backlinks(kind: str) -> backlinks.Provider:
    def provider(organisation_id: int, record_id: int) -> list[backlinks.Backlink]:
        from auditkit.actions.labels import STATUS_LABELS

        organisation = db.session.get(Organisation, organisation_id)
        return [backlinks.Backlink(f"{action.reference} {action.title}",
                                   url_for("actions.action", slug=organisation.slug, action_id=action.id),
                                   str(STATUS_LABELS[action.status]), str(_l("Corrective actions")))
                for action in actions_linked_to(organisation_id, kind, record_id)]
    return provider


def _clause_citations(actor: Actor, clause_key: str) -> list[Citation]:
    """The actions addressing a clause, for the clause's page."""
    rows = db.session.execute(
        select(CorrectiveAction.id, CorrectiveAction.reference, CorrectiveAction.title)
        .join(ActionLink, ActionLink.action_id == CorrectiveAction.id)
        .where(ActionLink.organisation_id == actor.organisation_id, ActionLink.kind == "clause",
               ActionLink.target_key == clause_key).order_by(CorrectiveAction.id)).all()
    if not rows or not actor.can("action.view"):
        return []
    slug = db.session.get(Organisation, actor.organisation_id).slug
    return [Citation(str(_l("Corrective action")), f"{row.reference} {row.title}",
                     url_for("actions.action", slug=slug, action_id=row.id)) for row in rows]


register(LinkKind("complaint", _l("A complaint"), _complaint))
register(LinkKind("clause", _l("A clause"), _clause, source=False))
CITATION_SOURCES.append(_clause_citations)
