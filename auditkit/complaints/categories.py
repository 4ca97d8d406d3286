"""The organisation's complaint classification (8.2): a default tree an organisation starts from and edits.

Refuses: a duplicate code in the organisation, a parent of another organisation.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from auditkit.complaints.models import Category
from auditkit.core.errors import ValidationFailed
from auditkit.extensions import db

# code → (name, parent code); names are translated into the organisation's language when the tree is made.
DEFAULT_TREE = [
    ("product", _l("Product or service quality"), None),
    ("product-fault", _l("Faulty or not as described"), "product"),
    ("product-availability", _l("Availability and delivery"), "product"),
    ("billing", _l("Billing and charges"), None),
    ("billing-error", _l("Wrong or unexpected charge"), "billing"),
    ("billing-refund", _l("Refund or compensation"), "billing"),
    ("service", _l("Customer service"), None),
    ("service-attitude", _l("Staff attitude or conduct"), "service"),
    ("service-delay", _l("Delay or no answer"), "service"),
    ("information", _l("Information and communication"), None),
    ("contract", _l("Contract, terms and sales practice"), None),
    ("privacy", _l("Privacy and personal data"), None),
    ("safety", _l("Health and safety"), None),
    ("other", _l("Other"), None),
]


def ensure_default_categories(organisation_id: int) -> None:
    """Give an organisation without categories the default tree (in the language of the current context)."""
    if db.session.execute(select(Category.id).where(Category.organisation_id == organisation_id)).first():
        return
    ids: dict[str, int] = {}
    for position, (code, name, parent) in enumerate(DEFAULT_TREE):
        category = Category(organisation_id=organisation_id, code=code, name=str(name), position=position,
                            parent_id=ids.get(parent))
        db.session.add(category)
        db.session.flush()
        ids[code] = category.id


def add_category(organisation_id: int, *, code: str, name: str, parent_id: int | None) -> Category:
    code, name = code.strip().lower(), name.strip()
    errors = {}
    if not code or len(code) > 60:
        errors["code"] = [_("Give a short code of 1 to 60 characters.")]
    elif db.session.execute(select(Category.id).where(Category.organisation_id == organisation_id,
                                                      Category.code == code)).first():
        errors["code"] = [_("This code is taken.")]
    if not name or len(name) > 200:
        errors["name"] = [_("Give a name of 1 to 200 characters.")]
    if parent_id is not None and db.session.execute(select(Category.id).where(
            Category.id == parent_id, Category.organisation_id == organisation_id)).first() is None:
        errors["parent_id"] = [_("Choose one of the organisation's categories.")]
    if errors:
        raise ValidationFailed(errors)
    category = Category(organisation_id=organisation_id, code=code, name=name, parent_id=parent_id)
    db.session.add(category)
    db.session.flush()
    return category


def category_choices(organisation_id: int) -> list[tuple[int, str]]:
    """Active categories as (id, "Parent › Child") in tree order."""
    rows = db.session.execute(select(Category).where(Category.organisation_id == organisation_id,
                                                     Category.active.is_(True))
                              .order_by(Category.position, Category.id)).scalars().all()
    names = {c.id: c.name for c in rows}
    return [(c.id, f"{names[c.parent_id]} › {c.name}" if c.parent_id in names else c.name) for c in rows]


def set_category_active(category: Category, active: bool) -> None:
    """Retire a category from new complaints (complaints already in it keep it), or bring it back."""
    category.active = active
    db.session.flush()
