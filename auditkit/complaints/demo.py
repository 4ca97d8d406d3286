"""Seeding an organisation's demo complaint register: about 5,000 complaints per demo organisation over the
last 18 months, written in the organisation's language (demo-telecom in Simplified Chinese, demo-insurance in
Persian), with the industry's mix of channels (demo_profiles), arriving with winter peaks, surges after price
changes, quiet holidays and office hours; each complaint's own story (who, what, its lifecycle) is
complaints.demo_complaint's.

Deterministic per organisation (random.Random seeded by its slug; see demo_complaint for what is not).
Idempotent: nothing happens when the organisation has a complaint whose external id starts with "demo-".
Fast: complaints and events are planned in Python and written with batched Core inserts; references are
reserved one block per year.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import insert, select

from auditkit.accounts.models import User
from auditkit.complaints import tallies
from auditkit.complaints.assignment import HANDLING_ROLES
from auditkit.complaints.categories import ensure_default_categories
from auditkit.complaints.demo_complaint import Staff, Story, Storyteller, weighted
from auditkit.complaints.demo_profiles import INSURANCE, PROFILES, TELECOM, Profile  # noqa: F401 - re-exported
from auditkit.complaints.models import Category, Complaint, ComplaintEvent
from auditkit.complaints.references import format_reference, reserve_block
from auditkit.complaints.settings import ComplaintSettings, settings_of
from auditkit.core.db import utcnow
from auditkit.extensions import db
from auditkit.orgs.models import Membership, Organisation

DEMO_PREFIX = "demo-"
DEFAULT_COUNT = 5000  # per organisation
SPAN_DAYS = 548  # 18 months
SEASON = (1.3, 1.25, 1.05, 0.95, 0.9, 0.85, 0.85, 0.9, 0.95, 1.0, 1.1, 1.3)  # January to December
DAY_CURVE = (1, .5, .3, .2, .2, .3, .6, 1.2, 2, 2.5, 2.6, 2.5, 2.2, 2.4, 2.5, 2.4, 2.2, 2, 2, 2.3, 2.6, 2.4, 1.8, 1.2)
OFFICE_HOURS = {"phone": (8, 20), "in_person": (9, 18), "letter": (9, 17)}


def arrivals(profile: Profile, settings: ComplaintSettings, rng: random.Random, now: datetime,
             count: int) -> list[tuple[datetime, str, bool]]:
    """(received, channel, soon after a price change) of each complaint the register receives, oldest first."""
    zone, calendar = settings.calendar_zone(), settings.calendar
    channels, channel_weights = weighted(profile.channels)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=SPAN_DAYS - 1)
    years = range(first.year - 1, today.year + 1)
    changes = [datetime(y, m, d).date() for y in years for m, d in profile.price_changes]  # noqa: DTZ001
    quiet = {datetime(y, m, d).date() + timedelta(days=i)  # noqa: DTZ001
             for y in years for m, d, length in profile.quiet for i in range(length)}
    weights, surging = [], []
    for index in range(SPAN_DAYS):
        day = first + timedelta(days=index)
        since = min(((day - change).days for change in changes if change <= day), default=999)
        weight = SEASON[day.month - 1] * (1 if calendar.is_working_day(day) else .55)
        weight *= (.9 + .2 * index / SPAN_DAYS) * (.45 if day in quiet else 1)  # growing slowly
        weights.append(weight * (1 + .8 * (1 - since / 35) if since < 35 else 1))
        surging.append(since < 35)
    planned = []
    for index in rng.choices(range(SPAN_DAYS), weights=weights, k=count):
        channel = rng.choices(channels, channel_weights)[0]
        opens, closes = OFFICE_HOURS.get(channel, (0, 24))
        hour = rng.randrange(opens, closes) if channel in OFFICE_HOURS else rng.choices(range(24), DAY_CURVE)[0]
        local = datetime.combine(first + timedelta(days=index), time(hour, rng.randrange(60), rng.randrange(60)),
                                 zone)
        received = local.astimezone(UTC)
        if received >= now:
            received = now - timedelta(minutes=rng.randint(5, 300))
        planned.append((received, channel, surging[index]))
    return sorted(planned, key=lambda arrival: arrival[0])


def has_demo_complaints(organisation_id: int) -> bool:
    return db.session.execute(select(Complaint.id).where(
        Complaint.organisation_id == organisation_id, Complaint.external_id.like(f"{DEMO_PREFIX}%")).limit(1)
    ).first() is not None


def _staff(organisation_id: int) -> list[tuple[Staff, bool]]:
    rows = db.session.execute(
        select(User.id, User.email, Membership.role).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation_id, Membership.role.in_(HANDLING_ROLES)).order_by(User.id))
    return [(Staff(id, email), role == "manager") for id, email, role in rows]


def plan_complaints(organisation: Organisation, profile: Profile, *, count: int, seed: int | str,
                    now: datetime) -> list[Story]:
    """The demo complaints and their events, not yet numbered nor written."""
    categories = dict(db.session.execute(select(Category.code, Category.id)
                                         .where(Category.organisation_id == organisation.id)).all())
    rng = random.Random(seed)
    teller = Storyteller(profile, organisation, rng, now, categories, _staff(organisation.id))
    received = arrivals(profile, settings_of(organisation), rng, now, count)
    return [teller.tell(f"{DEMO_PREFIX}{number:05d}", *arrival) for number, arrival in enumerate(received, start=1)]


def seed_organisation_complaints(organisation: Organisation, profile: Profile, *, count: int = DEFAULT_COUNT,
                                 seed: int | str | None = None, now: datetime | None = None) -> int:
    """Seed one organisation's demo complaints; returns how many were written (0: it had them already)."""
    if has_demo_complaints(organisation.id):
        return 0
    with force_locale(profile.language):
        ensure_default_categories(organisation.id)
    own = (organisation.settings or {}).get("complaints") or {}
    if "customers" not in own:  # what complaints per 1,000 customers is counted against
        organisation.settings = {**(organisation.settings or {}), "complaints": {**own, "customers": profile.customers}}
    stories = plan_complaints(organisation, profile, count=count, now=now or utcnow(),
                              seed=seed if seed is not None else f"auditkit-demo:{organisation.slug}")
    settings = settings_of(organisation)
    by_year: dict[int, list[dict]] = {}
    for story in stories:
        by_year.setdefault(story.row["received_at"].astimezone(settings.calendar_zone()).year, []).append(story.row)
    for year, rows in by_year.items():
        first = reserve_block(organisation.id, settings.pattern, year, len(rows))
        for seq, row in enumerate(rows, start=first):
            row["reference"] = format_reference(settings.pattern, year, seq)
    db.session.execute(insert(Complaint.__table__), [story.row for story in stories])
    ids = dict(db.session.execute(select(Complaint.external_id, Complaint.id).where(
        Complaint.organisation_id == organisation.id, Complaint.external_id.like(f"{DEMO_PREFIX}%"))).all())
    events = [{**event, "complaint_id": ids[story.row["external_id"]]} for story in stories for event in story.events]
    db.session.execute(insert(ComplaintEvent.__table__), events)
    tallies.refresh(db.session.connection(), organisation.id, instants=[
        story.row.get(name) for story in stories for name in ("received_at", "closed_at")])
    return len(stories)


def seed_complaints(organisations: dict[str, Organisation]) -> None:
    """The demo seeder (auditkit.demo.SEEDERS): each demo organisation's complaints, once; as many as the
    setting DEMO_COMPLAINTS says (default 5,000 each; 0: none)."""
    count = int(current_app.config.get("DEMO_COMPLAINTS", DEFAULT_COUNT))
    for slug, profile in PROFILES.items():
        if slug in organisations and count > 0:
            seed_organisation_complaints(organisations[slug], profile, count=count)
