"""One demo complaint: who complains (a name, contact details and sometimes a firm or a representative, in
the organisation's language), about what (a category, a product, the complaint's own words and the remedy
wanted) and the life it leads through the clause-7 lifecycle with realistic timings: most acknowledged and
answered within target, some late, escalated, referred to an ombudsman, reopened, withdrawn or rejected;
the recent ones partly still open. The seeding of a whole register (arrivals, numbering, writing) is
complaints.demo's.

`Story` is the complaint's record and its events as plain dicts, for batched Core inserts that bypass the
services and the audit trail: so `Story.step` changes the record exactly as the lifecycle service of the
same name would, checked against states.TRANSITIONS, and every record is one the services could have
produced. Deterministic for a given random.Random, except the hashes of tracking codes and survey links,
which come from `secrets`: nobody can derive a demo complaint's codes from this source.

Texts (demo_profiles): "|" separates alternatives; "tags:" before a text says what it fits (product kinds for
problems, category codes or their first part for the rest; none: anything); "~" is the Persian half-space
(ZWNJ).
"""

from __future__ import annotations

import math
import random
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from auditkit.complaints.clock import due_at
from auditkit.complaints.demo_profiles import Profile
from auditkit.complaints.intake import hash_code
from auditkit.complaints.lifecycle import HANDLED_AGAIN
from auditkit.complaints.models import SEVERITIES, Complaint
from auditkit.complaints.settings import ComplaintSettings, settings_of
from auditkit.complaints.states import TRANSITIONS, Status
from auditkit.core.i18n import half_spaces
from auditkit.orgs.models import Organisation

PORTAL = "portal"
DOMAINS = ("example.org", "mail.example.org", "post.example.org")
ACK_MEDIAN_HOURS = {"phone": .3, "in_person": .2, "web_form": 3, "email": 5, "social_media": 2, "api": 2, "letter": 20}
ACK_METHODS = {"phone": "phone", "in_person": "in_person", "letter": "letter", "email": "email", "api": "email",
               "web_form": "email|portal", "social_media": "phone|sms"}
# (email, phone, postal address): the chance the complainant gave each on this channel.
CONTACTS = {"web_form": (1, .6, .1), "email": (1, .3, .05), "phone": (.4, 1, .1), "in_person": (.2, 1, .3),
            "letter": (.1, .5, 1), "social_media": (.5, .5, 0), "api": (1, .8, 0)}
SEVERITY_MIX = {"safety": (0, 10, 50, 40), "privacy": (10, 45, 35, 10), "*": (36, 46, 15, 3)}
LEVELS = ("low", "medium", "high")
LEVEL_MIX = ((60, 30, 10), (30, 50, 20), (15, 45, 40), (10, 30, 60))  # low, medium, high by severity
ACCEPTED = {"upheld": .97, "partly_upheld": .9, "not_upheld": .75}
_TAGGED = re.compile(r"([a-z* -]+):(.*)", re.DOTALL)
_PERSIAN_DIGITS = str.maketrans("0123456789,", "۰۱۲۳۴۵۶۷۸۹٬")


def _items(text: str, persian: bool) -> list[tuple[frozenset[str], str]]:
    """(tags, text) of each alternative."""
    items = []
    for item in text.split("|"):
        item = half_spaces(item) if persian else item
        match = _TAGGED.fullmatch(item)
        items.append((frozenset(match[1].split()), match[2]) if match else (frozenset(), item))
    return items


def weighted(text: str) -> tuple[list[str], list[float]]:
    """The names and weights of a "name=weight|..." text."""
    pairs = [item.rsplit("=", 1) for item in text.split("|")]
    return [name for name, _ in pairs], [float(weight) for _, weight in pairs]


@dataclass(frozen=True)
class Staff:
    """Who does a step: a member (id and label), or the portal, the API or the system (no id)."""

    id: int | None
    label: str


class Story:
    """One complaint: each step changes the record as the lifecycle service of that name does and adds its
    event; a step later than `now` ends the story (the rest has not happened yet)."""

    def __init__(self, row: dict, settings: ComplaintSettings, now: datetime, actor: Staff):
        self.row, self.settings, self.now, self.ended = row, settings, now, False
        self.at = row["received_at"]
        self.events = [self._event("receive", self.at, actor, {"channel": row["channel"]}, None, "received",
                                   "iso10002:2018:7.2")]

    def _event(self, kind, at, actor, data, from_status, to_status, clause) -> dict:
        return {"organisation_id": self.row["organisation_id"], "at": at, "actor_id": actor.id,
                "actor_label": actor.label, "kind": kind, "from_status": from_status, "to_status": to_status,
                "clause_key": clause, "data": data}

    def due(self, severity: str | None, step: str, start: datetime | None = None) -> datetime:
        return due_at(start or self.row["received_at"], self.settings.target(severity, step), self.settings.calendar)

    def step(self, kind: str, at: datetime, actor: Staff, **data) -> bool:
        if self.ended or at > self.now:
            self.ended = True
            return False
        row, transition, comment = self.row, TRANSITIONS.get(kind), data.pop("comment", None)
        at = self.at = max(at, self.at)
        if kind == "escalate":
            data["level"] = row["escalation_level"] + 1
        if data.get("external_outcome"):  # a referred complaint closes with the outcome of that day
            data["outcome_on"] = at.astimezone(self.settings.calendar_zone()).date().isoformat()
        if transition is None:
            event = self._event(kind, at, actor, data, None, None, "iso10002:2018:8.3" if kind == "survey" else None)
        else:
            if Status(row["status"]) not in transition.sources:
                raise RuntimeError(f"demo story: {kind} is not allowed from {row['status']}")
            event = self._event(kind, at, actor, {k: v for k, v in data.items() if v not in (None, "")},
                                row["status"], transition.target.value, transition.clause)
            row["status"] = transition.target.value
        if kind == "acknowledge":
            row["acknowledged_at"] = at
        elif kind == "assess":
            row.update(data, assessed_at=at, response_due_at=self.due(data["severity"], "respond"))
            if row["acknowledged_at"] is None:
                row["ack_due_at"] = self.due(data["severity"], "acknowledge")
        elif kind == "decide":
            row.update(decided_at=at, outcome=data["outcome"])
        elif kind == "communicate":
            row["communicated_at"] = at
        elif kind == "close":
            row.update(closed_at=at, accepted=data["accepted"], survey_sent_at=at,
                       survey_token_hash=hash_code(secrets.token_urlsafe(24)))
            if data.get("external_outcome"):
                row["referral"] = {**row["referral"], "external_outcome": data["external_outcome"],
                                   "outcome_on": data["outcome_on"]}
        elif kind == "escalate":  # as lifecycle.escalate_complaint: a decision told runs a new clock
            told = row["communicated_at"] is not None
            row.update(dict.fromkeys(HANDLED_AGAIN), escalation_level=data["level"])
            if told:
                row["response_due_at"] = self.due(row["severity"], "respond", start=at)
        elif kind == "refer_external":
            row["referral"] = dict(data)
        elif kind == "reopen":  # as lifecycle.reopen_complaint
            row.update(dict.fromkeys(HANDLED_AGAIN), reopen_count=row["reopen_count"] + 1,
                       response_due_at=self.due(row["severity"], "respond", start=at))
        elif kind in ("withdraw", "reject"):
            row["closed_at"] = at
        elif kind == "assign":
            row["assignee_id"] = data["to"]
        elif kind == "survey":
            row.update(satisfaction_rating=data["rating"], satisfaction_comment=comment, survey_answered_at=at)
        row["version"] += 1
        row["updated_at"] = at
        self.events.append(event)
        return True


class Storyteller:
    """Tells the stories of one organisation's demo complaints, one by one, from one random.Random."""

    def __init__(self, profile: Profile, organisation: Organisation, rng: random.Random, now: datetime,
                 categories: dict[str, int], staff: list[tuple[Staff, bool]]):
        self.profile, self.organisation, self.rng, self.now = profile, organisation, rng, now
        self.settings, self.categories = settings_of(organisation), categories
        persian = profile.language == "fa"
        self.texts = {key: _items(value, persian) for key, value in profile.texts.items()}
        self.products = [(tags, *name.rsplit("=", 1)) for tags, name in _items(profile.products, persian)]
        self.codes, self.code_weights = weighted(profile.categories)
        self.handlers = [member for member, manager in staff] or [Staff(None, "system")]
        self.handler_weights = [1 if manager else 3 for _, manager in staff] or [1]
        self.manager = next((member for member, manager in staff if manager), self.handlers[0])
        self.people: list[dict] = []
        self.blank = {column.name: None for column in Complaint.__table__.columns if column.name != "id"}

    # --- texts -----------------------------------------------------------------------------------------
    def pick(self, key: str, fits: set[str] | None = None) -> str:
        return self.rng.choice([text for tags, text in self.texts[key] if not tags or (fits and tags & fits)])

    def fill(self, text: str, product: str | None) -> str:
        rng = self.rng
        amount = rng.randint(2, 60) * 5 if self.profile.language != "fa" else rng.randint(5, 400) * 100
        text = text.format(product=product or self.pick("nothing"), amount=f"{amount:,}", n=rng.randint(3, 25),
                           m=rng.randint(2, 11), y=rng.randint(2, 12))
        return text.translate(_PERSIAN_DIGITS) if self.profile.language == "fa" else text.replace(",", "")

    def name(self) -> tuple[str, str]:
        (surname, s_latin), (given, g_latin) = (self.rng.choice(self.pairs("surnames")),
                                                self.rng.choice(self.pairs("given")))
        if self.profile.language == "fa":
            return f"{given} {surname}", f"{g_latin}.{s_latin}"
        return surname + given, self.rng.choice((f"{s_latin}.{g_latin}", f"{g_latin}{s_latin}"))

    def pairs(self, key: str) -> list[tuple[str, str]]:
        return [tuple(text.split(":")) for _, text in self.texts[key]]

    def person(self) -> dict:
        rng = self.rng
        if self.people and rng.random() < .06:
            return rng.choice(self.people)  # complained before
        name, handle = self.name()
        city, prefix = rng.choice(self.pairs("cities"))
        firm, kind = self.pick("firms"), self.pick("firm_kinds")
        if self.profile.language == "fa":
            address = (f"{city}، خیابان {self.pick('streets')}، کوچهٔ {self.pick('alleys')}، "
                       f"پلاک {rng.randint(1, 180)}، واحد {rng.randint(1, 24)}").translate(_PERSIAN_DIGITS)
            operator = rng.choice(("12", "13", "19", "35", "36", "01", "02", "10", "21"))
            phone = f"+98 9{operator} {rng.randint(100, 999)} {rng.randint(0, 9999):04d}"
            postcode, firm = f"{prefix}{rng.randint(0, 999_999_999):09d}", f"شرکت {firm} {kind}"
        else:
            address = (f"{city}{self.pick('streets')}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋"
                       f"{rng.randint(1, 32)}{rng.randint(1, 8):02d}室")
            phone = f"+86 1{rng.choice('3456789')}{rng.randint(0, 9)} {rng.randint(0, 9999):04d} " \
                    f"{rng.randint(0, 9999):04d}"
            postcode, firm = f"{prefix}{rng.randint(0, 999):03d}", city[:2] + firm + kind
        suffix = rng.choice(("", str(rng.randint(1, 99)), str(rng.randint(1960, 2006)), str(rng.randint(100, 999))))
        person = {"complainant_name": name, "email": f"{handle}{suffix}@{rng.choice(DOMAINS)}", "phone": phone,
                  "address": address, "postcode": postcode,
                  "complainant_organisation": firm if rng.random() < .06 else None,
                  "representative": self.name()[0] if rng.random() < .03 else None}
        self.people.append(person)
        return person

    # --- one complaint -------------------------------------------------------------------------------
    def tell(self, external_id: str, received: datetime, channel: str, surging: bool) -> Story:
        """The complaint received then on that channel (`surging`: soon after a price change), carried as far
        through its lifecycle as it has got by `now`."""
        rng = self.rng
        weights = [w * (2.5 if surging and code in ("billing-error", "contract", "billing") else 1)
                   for code, w in zip(self.codes, self.code_weights, strict=True)]
        code = rng.choices(self.codes, weights)[0]
        kinds, problem = rng.choice(self.texts[code])
        fitting = [p for p in self.products if not kinds or p[0] & kinds] if rng.random() > .04 or kinds else []
        tags, product = ((fitting and rng.choices([(p[0], p[1]) for p in fitting], [float(p[2]) for p in fitting])[0])
                         or (frozenset(), None))
        keys = {code, code.split("-")[0], *tags}
        details = [self.pick("details")] + ([self.pick("details")] if rng.random() < .3 else [])
        proxy, opening = rng.choice(self.texts["openings"])  # "proxy": written on someone's behalf
        parts = [opening, problem, *dict.fromkeys(details), self.pick("asks")]
        person, (want_email, want_phone, want_address) = self.person(), CONTACTS[channel]
        contact = {"email": rng.random() < want_email, "phone": rng.random() < want_phone,
                   "address": rng.random() < want_address}
        if not any(contact.values()):
            contact["phone"] = True
        zone = self.settings.calendar_zone()
        row = {**self.blank, "organisation_id": self.organisation.id, "external_id": external_id,
               "received_at": received, "channel": channel, "status": Status.RECEIVED.value,
               **{key: person[key] if contact[key] else None for key in contact},
               "postcode": person["postcode"] if contact["address"] else None,
               "country": self.profile.country if contact["address"] else None,
               "complainant_name": person["complainant_name"],
               "complainant_organisation": person["complainant_organisation"],
               "representative": self.name()[0] if proxy else person["representative"],
               "preferred_language": self.profile.language,
               "consent": True, "product": product, "category_id": self.categories.get(code),
               "description": self.fill(("" if self.profile.language != "fa" else " ").join(parts), product),
               "remedy_wanted": self.fill(self.pick("remedies", keys), product) if rng.random() < .8 else None,
               "occurred_on": (received.astimezone(zone).date() - timedelta(days=rng.randint(0, 20))
                               if rng.random() < .85 else None),
               "escalation_level": 0, "reopen_count": 0, "version": 1, "created_at": received,
               "updated_at": received, "tracking_code_hash": hash_code(secrets.token_hex(4))}
        receiver = {"web_form": Staff(None, PORTAL), "api": Staff(None, "api")}.get(channel, self.desk())
        story = Story(row, self.settings, self.now, receiver)
        row.update(ack_due_at=story.due(None, "acknowledge"), response_due_at=story.due(None, "respond"))
        self.live(story, code, keys, channel)
        return story

    def desk(self) -> Staff:
        return self.rng.choice(self.handlers)

    def hours(self, low: float, high: float) -> timedelta:
        return timedelta(hours=self.rng.uniform(low, high))

    def live(self, s: Story, code: str, keys: set[str], channel: str) -> None:
        rng, row = self.rng, s.row
        received, fate = row["received_at"], rng.random()
        desk, handler = self.desk(), rng.choices(self.handlers, self.handler_weights)[0]
        if rng.random() > .015:  # a few are assessed at once and never acknowledged as such
            due = row["ack_due_at"]
            if rng.random() < .09:
                acknowledged = due + self.hours(1, 72)
            else:
                delay = timedelta(hours=rng.lognormvariate(math.log(ACK_MEDIAN_HOURS[channel]), .9))
                acknowledged = min(received + delay, received + (due - received) * rng.uniform(.3, .97))
            s.step("acknowledge", acknowledged, desk, method=rng.choice(ACK_METHODS[channel].split("|")), note="")
        if fate < .04:
            s.step("reject", s.at + self.hours(1, 50), desk, reason=self.pick("reject"))
            return
        s.step("assign", s.at + self.hours(.1, 1.5), self.manager, **{"from": None, "to": handler.id})
        severity = rng.choices(SEVERITIES, SEVERITY_MIX.get(code, SEVERITY_MIX["*"]))[0]
        levels = LEVEL_MIX[SEVERITIES.index(severity)]
        safety = code == "safety" or (severity == "critical" and rng.random() < .2)
        s.step("assess", s.at + timedelta(hours=min(96, rng.lognormvariate(math.log(6), 1))), handler,
               severity=severity, safety_implication=safety, complexity=rng.choices(LEVELS, levels)[0],
               impact=rng.choices(LEVELS, levels)[0],
               immediate_action=self.pick("immediate") if safety or severity == "critical" else None)
        if fate < .07:
            s.step("withdraw", s.at + self.hours(24, 200), handler, reason=self.pick("withdraw"))
            return
        s.step("investigate", s.at + self.hours(.2, 30), handler, notes=self.pick("notes", keys))
        if rng.random() < (.12 if (self.now - received).days < 45 else .004):
            return  # waiting on a third party: stays under investigation
        self.resolve(s, handler, keys)
        if not s.ended and row["status"] == Status.CLOSED and rng.random() < .035:
            s.step("reopen", s.at + self.hours(72, 720), handler, reason=self.pick("reopen"))
            self.decide(s, handler, keys, "upheld", self.hours(48, 240))
            s.step("close", s.at + self.hours(6, 120), handler, accepted=True, options_exhausted=False, note="")
        if not s.ended and row["status"] == Status.CLOSED and rng.random() < .4:
            rating = rng.choices((5, 4, 3, 2, 1), (46, 34, 12, 5, 3) if row["accepted"] else (3, 8, 24, 33, 32))[0]
            comment = self.pick("praise" if rating >= 4 else "critique") if rng.random() < .35 else None
            s.step("survey", s.at + timedelta(minutes=10, hours=rng.expovariate(1 / 30)), Staff(None, PORTAL),
                   rating=rating, comment=comment)

    def decide(self, s: Story, actor: Staff, keys: set[str], outcome: str, after: timedelta) -> None:
        rng = self.rng
        remedy = self.fill(self.pick(outcome, keys), s.row["product"])
        s.step("decide", s.at + after, actor, remedy=remedy, outcome=outcome, root_cause=self.pick("causes", keys),
               findings="")
        method = rng.choices(("email", "phone", "letter", "sms", "portal"), (40, 25, 15, 10, 10))[0]
        s.step("communicate", s.at + self.hours(.1, 20), actor, method=method, note="")

    def resolve(self, s: Story, handler: Staff, keys: set[str]) -> None:
        rng, row = self.rng, s.row
        received, due = row["received_at"], row["response_due_at"]
        on_time = rng.random() < .86
        target = received + (due - received) * rng.uniform(.15, .8) if on_time else due + self.hours(-12, 300)
        outcome = rng.choices(("upheld", "partly_upheld", "not_upheld"), (45, 30, 25))[0]
        self.decide(s, handler, keys, outcome, max(target - s.at, self.hours(.5, 6)))
        if rng.random() < ACCEPTED[outcome]:
            s.step("close", s.at + self.hours(2, 144), handler, accepted=True, options_exhausted=False, note="")
            return
        s.step("escalate", s.at + self.hours(24, 144), self.manager, reason=self.pick("escalations"),
               escalated_to=self.pick("escalated_to"))
        outcome = rng.choices(("upheld", "partly_upheld", "not_upheld"), (50, 35, 15))[0]
        self.decide(s, self.manager, keys, outcome, self.hours(48, 288))
        if rng.random() < .75:
            s.step("close", s.at + self.hours(12, 168), handler, accepted=True, options_exhausted=False, note="")
            return
        provider, method = self.pick("providers").rsplit("=", 1)
        referred = s.at + self.hours(72, 360)
        s.step("refer_external", referred, self.manager, provider=provider, method=method,
               referred_on=referred.astimezone(self.settings.calendar_zone()).date().isoformat())
        settled = rng.random() < .45
        ended = "settled" if settled else rng.choices(("for_organisation", "partly_for_complainant"), (3, 1))[0]
        s.step("close", s.at + self.hours(360, 1440), self.manager, accepted=settled, options_exhausted=not settled,
               note="", external_outcome=ended)
