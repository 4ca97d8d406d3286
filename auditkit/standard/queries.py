"""Scoped reads of frameworks and checklists: what an organisation sees (its own and the shared library),
latest versions, and the clause tree of a version."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

from auditkit.core.security import Actor, scoped
from auditkit.extensions import db
from auditkit.standard.models import Checklist, ChecklistVersion, Clause, Framework, FrameworkVersion


def visible_to(organisation_id: int | None):
    """The organisation's rows and the shared ones (organisation None: the shared ones only)."""

    def condition(model):
        if organisation_id is None:
            return model.organisation_id.is_(None)
        return or_(model.organisation_id == organisation_id, model.organisation_id.is_(None))

    return condition


def framework_by_key(key: str, organisation_id: int | None) -> Framework | None:
    """The organisation's own framework of that key, else the shared one."""
    rows = db.session.execute(
        select(Framework).where(Framework.key == key, visible_to(organisation_id)(Framework))
        .order_by(Framework.organisation_id.is_(None))
    ).scalars().all()
    return rows[0] if rows else None


def latest_framework_version(framework: Framework) -> FrameworkVersion | None:
    return db.session.execute(
        select(FrameworkVersion).where(FrameworkVersion.framework_id == framework.id)
        .order_by(FrameworkVersion.number.desc()).limit(1)
    ).scalar_one_or_none()


def latest_version(checklist: Checklist) -> ChecklistVersion | None:
    return db.session.execute(
        select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist.id)
        .order_by(ChecklistVersion.number.desc()).limit(1)
    ).scalar_one_or_none()


def version_number(checklist: Checklist, number: int) -> ChecklistVersion | None:
    return db.session.execute(
        select(ChecklistVersion).where(ChecklistVersion.checklist_id == checklist.id,
                                       ChecklistVersion.number == number)
    ).scalar_one_or_none()


def clause_keys(organisation_id: int | None) -> dict[str, set[str]]:
    """Library id → clause ids of its latest version, for every framework the organisation sees."""
    latest = (select(FrameworkVersion.framework_id, func.max(FrameworkVersion.number).label("number"))
              .group_by(FrameworkVersion.framework_id).subquery())
    rows = db.session.execute(
        select(Framework.key, Clause.key)
        .join(FrameworkVersion, FrameworkVersion.framework_id == Framework.id)
        .join(latest, (latest.c.framework_id == FrameworkVersion.framework_id)
              & (latest.c.number == FrameworkVersion.number))
        .join(Clause, Clause.framework_version_id == FrameworkVersion.id)
        .where(visible_to(organisation_id)(Framework))
    ).all()
    keys: dict[str, set[str]] = {}
    for library, clause in rows:
        keys.setdefault(library, set()).add(clause)
    return keys


def checklists_for(actor: Actor) -> list[tuple[Checklist, ChecklistVersion]]:
    """Every checklist the actor's organisation sees, with its latest version: the organisation's own
    first, then the shared library."""
    latest = (select(ChecklistVersion.checklist_id, func.max(ChecklistVersion.number).label("number"))
              .group_by(ChecklistVersion.checklist_id).subquery())
    rows = db.session.execute(
        scoped(actor, Checklist).add_columns(ChecklistVersion)
        .join(latest, latest.c.checklist_id == Checklist.id)
        .join(ChecklistVersion, (ChecklistVersion.checklist_id == Checklist.id)
              & (ChecklistVersion.number == latest.c.number))
        .order_by(Checklist.organisation_id.is_(None), Checklist.kind, Checklist.key)
    ).all()
    return [(checklist, version) for checklist, version in rows]


@dataclass
class ClauseNode:
    clause: Clause
    children: list[ClauseNode] = field(default_factory=list)


def clause_tree(version: FrameworkVersion) -> list[ClauseNode]:
    """The clauses of a version as a tree, in the order of the library, to any depth."""
    clauses = db.session.execute(
        select(Clause).where(Clause.framework_version_id == version.id).order_by(Clause.position)
    ).scalars().all()
    nodes = {clause.key: ClauseNode(clause) for clause in clauses}
    roots = []
    for clause in clauses:
        parent = nodes.get(clause.parent_key) if clause.parent_key else None
        (parent.children if parent else roots).append(nodes[clause.key])
    return roots
