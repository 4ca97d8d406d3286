"""Demo data: two organisations, a user for every role in each, a system administrator and a consultant
who serves both. Idempotent: running it again changes nothing that exists, except that the demo users'
passwords are set to the one given. Later features add their own records through `SEEDERS`."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from auditkit.accounts.models import User
from auditkit.accounts.passwords import hash_password, verify_password
from auditkit.accounts.services import create_user, find_user
from auditkit.actions.demo import seed_actions
from auditkit.assessments.demo import seed_assessments
from auditkit.complaints.demo import seed_complaints
from auditkit.core.security import Role
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation
from auditkit.orgs.services import create_organisation, organisation_by_slug

ORGANISATIONS = [
    {"slug": "demo-telecom", "name": "Demo Telecom", "locale": "zh_Hans", "timezone": "Asia/Shanghai"},
    {"slug": "demo-insurance", "name": "Demo Insurance", "locale": "fa", "timezone": "Asia/Tehran"},
]
ADMIN_EMAIL = "admin@demo.example"
CONSULTANT_EMAIL = "consultant@demo.example"

# Feature seeders: each takes the demo organisations by slug and adds its records, idempotently.
SEEDERS: list[Callable[[dict[str, Organisation]], None]] = []
SEEDERS.append(seed_complaints)
SEEDERS.append(seed_actions)  # after the complaints: actions come from them
SEEDERS.append(seed_assessments)  # after the actions: their seeder skips an organisation that has actions


def _user(email: str, password: str, name: str, *, admin: bool = False) -> User:
    user = find_user(email)
    if user is None:
        return create_user(None, email=email, password=password, name=name, is_system_admin=admin)
    if not verify_password(user.password_hash, password):
        user.password_hash = hash_password(password)
    return user


def _member(organisation: Organisation, user: User, role: Role) -> None:
    exists = db.session.execute(select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.user_id == user.id)).first()
    if not exists:
        db.session.add(Membership(organisation_id=organisation.id, user_id=user.id, role=role.value))


def demo_logins() -> list[tuple[str, str]]:
    """(email, what the login is for) for every demo login."""
    logins = [(ADMIN_EMAIL, "system administrator"),
              (CONSULTANT_EMAIL, "consultant in both demo organisations")]
    for spec in ORGANISATIONS:
        slug = spec["slug"]
        logins += [(f"{role.value}@{slug}.example", f"{role.value} in {slug}") for role in Role]
    return logins


def seed_demo(password: str) -> None:
    """Create or complete the demo data."""
    _user(ADMIN_EMAIL, password, "Demo Administrator", admin=True)
    consultant = _user(CONSULTANT_EMAIL, password, "Demo Consultant")
    organisations: dict[str, Organisation] = {}
    for spec in ORGANISATIONS:
        organisation = organisation_by_slug(spec["slug"]) or create_organisation(None, **spec)
        organisations[spec["slug"]] = organisation
        for role in Role:
            user = _user(f"{role.value}@{spec['slug']}.example", password, f"{spec['name']} {role.value}")
            _member(organisation, user, role)
        _member(organisation, consultant, Role.CONSULTANT)
    db.session.flush()
    for seeder in SEEDERS:
        seeder(organisations)
    db.session.flush()
