"""Complainants' personal data for people who do not handle complaints: consultants, auditors and viewers
see it masked, on pages, in the timeline and in exports alike."""

from __future__ import annotations

from auditkit.core.security import Actor


def mask_text(value: str | None) -> str | None:
    if not value:
        return value
    return " ".join(word[0] + "•" * min(len(word) - 1, 5) for word in value.split())


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return mask_text(value)
    local, domain = value.split("@", 1)
    return f"{local[0]}•••@{domain}"


def mask_phone(value: str | None) -> str | None:
    if not value:
        return value
    digits = [c for c in value if c.isdigit()]
    return "•" * max(len(digits) - 2, 3) + "".join(digits[-2:])


MASKS = {"complainant_name": mask_text, "complainant_organisation": mask_text, "email": mask_email,
         "phone": mask_phone, "address": mask_text, "postcode": mask_text, "representative": mask_text,
         "country": lambda v: v}


def personal_data(complaint, actor: Actor) -> dict[str, str | None]:
    """The complainant's details as this actor may see them."""
    visible = actor.can("complaint.view_personal")
    return {field: getattr(complaint, field) if visible else mask(getattr(complaint, field))
            for field, mask in MASKS.items()}


# What a timeline event's data may hold of the complainant's: an attachment's file name ("Ali_Rezaei.pdf").
EVENT_MASKS = {"filename": mask_text}


def event_data(data: dict | None, actor: Actor) -> dict:
    """A timeline event's data as this actor may see it."""
    data = data or {}
    if actor.can("complaint.view_personal") or not EVENT_MASKS.keys() & data.keys():
        return data
    return {key: EVENT_MASKS[key](value) if key in EVENT_MASKS else value for key, value in data.items()}
