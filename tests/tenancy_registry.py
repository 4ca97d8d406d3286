"""What the generic tenancy and permission walk needs to know about routes.

Every URL parameter of a registered route must be listed in OBJECT_MAKERS: a function that makes (in the
given organisation) a record the route can be called with, returning its id. A feature that adds a route
with a new parameter registers its maker here; the walk fails on any parameter it does not know.
Routes open to anyone (no sign-in) are listed in PUBLIC_ENDPOINTS.
"""

from __future__ import annotations

import copy
import secrets
from collections.abc import Callable

from sqlalchemy import select

from auditkit.accounts.tokens import create_token
from auditkit.core.security import Actor, Role
from auditkit.extensions import db
from auditkit.orgs.models import Organisation
from auditkit.standard import library
from auditkit.standard.formats import check
from auditkit.standard.models import Checklist, Framework
from auditkit.standard.services import copy_checklist
from auditkit.standard.yaml_source import parse_yaml
from tests.conftest import MINI

PUBLIC_ENDPOINTS = {
    "static", "web.healthz", "web.set_language", "accounts.login", "accounts.logout",
    "api_docs.api_docs", "api-docs.openapi_json",
}


def _membership(make, organisation: Organisation) -> int:
    user = make.member(organisation, Role.VIEWER)
    return user.memberships[0].id


def _token(make, organisation: Organisation) -> int:
    user = make.member(organisation, Role.VIEWER)
    actor = Actor(user.id, organisation.id, Role.VIEWER, user.email)
    return create_token(actor, name="walk")[0].id


def _actor(make, organisation: Organisation) -> Actor:
    user = make.member(organisation, Role.CONSULTANT)
    return Actor(user.id, organisation.id, Role.CONSULTANT, user.email)


def _own_framework(make, organisation: Organisation) -> Framework:
    document = copy.deepcopy(_mini("clauses.yaml"))
    document["library"]["id"] = f"own{organisation.id}:1"
    for clause in document["clauses"]:
        clause["id"] = clause["id"].replace("mini:1", f"own{organisation.id}:1")
        if clause.get("parent"):
            clause["parent"] = clause["parent"].replace("mini:1", f"own{organisation.id}:1")
    result = check(document, "walk")
    library.import_library(result.data, _actor(make, organisation))
    return db.session.execute(select(Framework).where(Framework.key == f"own{organisation.id}:1")).scalar_one()


def _own_checklist(make, organisation: Organisation) -> int:
    shared = db.session.execute(select(Checklist).where(
        Checklist.key == "mini-gap", Checklist.organisation_id.is_(None))).scalar_one()
    return copy_checklist(_actor(make, organisation), shared).id


def _mini(name: str) -> dict:
    return parse_yaml((MINI / name).read_bytes(), name)[0]


OBJECT_MAKERS: dict[str, Callable] = {
    "membership_id": _membership,
    "token_id": _token,
    "organisation_id": lambda make, organisation: organisation.id,
    "user_id": lambda make, organisation: make.member(organisation, Role.VIEWER).id,
    "checklist_id": _own_checklist,
    "framework_id": lambda make, organisation: _own_framework(make, organisation).id,
    "clause_key": lambda make, organisation: f"{_own_framework(make, organisation).key}:7.4",
    "number": lambda make, organisation: 1,
    "fmt": lambda make, organisation: "yaml",
    "complaint_id": lambda make, organisation: _complaint(organisation),
    "step": lambda make, organisation: "acknowledge",
    "token": lambda make, organisation: "walk-token",  # the public survey link; /p/ pages are not walked
    "attachment_id": lambda make, organisation: _attachment(organisation),
    "category_id": lambda make, organisation: _category(organisation),
    "filter_id": lambda make, organisation: _saved_filter(make, organisation),
    "action_id": lambda make, organisation: _action(make, organisation).id,
    "task_id": lambda make, organisation: _task(make, organisation),
    "assessment_id": lambda make, organisation: _assessment(make, organisation).id,
    "question_id": lambda make, organisation: _question(),
    "evidence_id": lambda make, organisation: _evidence(make, organisation),
    "chart": lambda make, organisation: "radar",
    "picture": lambda make, organisation: "volumes",  # the complaint overview's charts
    "document_id": lambda make, organisation: _document(make, organisation),
}


def _action(make, organisation: Organisation):
    from datetime import timedelta

    from auditkit.actions.services import ActionData, raise_action, today

    actor = _actor(make, organisation)
    data = ActionData(title="Walk", problem="Walk", owner_id=actor.user_id,
                      due_on=today(organisation) + timedelta(days=30))
    return raise_action(actor, organisation, data)


def _task(make, organisation: Organisation) -> int:
    from datetime import timedelta

    from auditkit.actions.services import add_task, today

    action = _action(make, organisation)
    return add_task(_actor(make, organisation), organisation, action, action.version, title="Walk", owner_id=None,
                    due_on=today(organisation) + timedelta(days=7)).id


def _document(make, organisation: Organisation) -> int:
    from auditkit.documents.services import register

    return register(_actor(make, organisation), kind="walk", source_type="walk", source_id=1, title="Walk",
                    file_name="walk.txt", media_type="text/plain", content=b"walk", snapshot={}, locale="en",
                    template="walk.docx").id


def _saved_filter(make, organisation: Organisation) -> int:
    from auditkit.complaints.saved_filters import save_filter

    return save_filter(_actor(make, organisation), secrets.token_hex(4), "status=received").id


def _category(organisation: Organisation) -> int:
    from auditkit.complaints.categories import add_category

    return add_category(organisation.id, code=secrets.token_hex(4), name="Walk", parent_id=None).id


def _attachment(organisation: Organisation) -> int:
    from auditkit.complaints.portal_models import ComplaintAttachment

    attachment = ComplaintAttachment(organisation_id=organisation.id, complaint_id=_complaint(organisation),
                                     storage_key=secrets.token_hex(16), filename="walk.txt",
                                     media_type="text/plain", size=4, sha256="0" * 64)
    db.session.add(attachment)
    db.session.flush()
    return attachment.id


def _complaint(organisation: Organisation) -> int:
    from auditkit.complaints.intake import NewComplaint, receive_complaint

    data = NewComplaint(description="Walk", email="walk@example.org")
    return receive_complaint(organisation, data, actor_id=None, actor_label="walk")[0].id


def _gap_version():
    from auditkit.standard.models import ChecklistVersion

    return db.session.execute(
        select(ChecklistVersion).join(Checklist).where(Checklist.key == "iso10002-2018-gap-assessment",
                                                       Checklist.organisation_id.is_(None))
        .order_by(ChecklistVersion.number.desc())).scalars().first()


def _question() -> int:
    """A question of the shipped gap-assessment checklist that has a live figure."""
    from auditkit.standard.models import Question

    return db.session.execute(select(Question.id).where(
        Question.checklist_version_id == _gap_version().id, Question.metric.is_not(None))
        .order_by(Question.position)).scalars().first()


def _assessment(make, organisation: Organisation):
    """An assessment in progress on the shipped gap-assessment checklist."""
    from datetime import UTC, datetime

    from auditkit.assessments import workflow
    from auditkit.assessments.services import PlanData, create_assessment

    actor = _actor(make, organisation)
    plan = PlanData(title="Walk", scope="Walk", starts_on=datetime.now(UTC).date())
    assessment = create_assessment(actor, organisation, plan, checklist_version_id=_gap_version().id)
    return workflow.start(actor, assessment, assessment.version)


def _evidence(make, organisation: Organisation) -> int:
    from auditkit.assessments.answering import attach_evidence
    from auditkit.complaints.attachments import Upload

    assessment = _assessment(make, organisation)
    return attach_evidence(_actor(make, organisation), assessment, _question(), [Upload("walk.txt", b"walk")], [])[0].id
