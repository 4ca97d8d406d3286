"""The organisation's complaint classification (8.2): a default tree an organisation starts from and edits.

Categories are never deleted (complaints keep theirs): they are retired, renamed or moved under another parent.

Refuses: a duplicate code in the organisation, an empty or over-long name, a parent of another organisation,
a category moved under itself or one of its own subcategories.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

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
    category = Category(organisation_id=organisation_id, code=code, name=name, parent_id=parent_id,
                        position=_last_position(organisation_id) + 1)  # after its siblings
    db.session.add(category)
    db.session.flush()
    return category


def change_category(category: Category, *, name: str, parent_id: int | None) -> None:
    """Rename a category or move it (with its subcategories) under another parent, or to the top."""
    name, errors = name.strip(), {}
    if not name or len(name) > 200:
        errors["name"] = [_("Give a name of 1 to 200 characters.")]
    if parent_id is not None:
        rows = _categories(category.organisation_id)
        if parent_id not in {c.id for c in rows}:
            errors["parent_id"] = [_("Choose one of the organisation's categories.")]
        elif parent_id in subtree(((c.id, c.parent_id) for c in rows), category.id):
            errors["parent_id"] = [_("A category cannot go under itself or one of its own subcategories.")]
    if errors:
        raise ValidationFailed(errors)
    if parent_id != category.parent_id:  # after its new siblings
        category.position = _last_position(category.organisation_id) + 1
    category.name, category.parent_id = name, parent_id
    db.session.flush()


def _last_position(organisation_id: int) -> int:
    return db.session.execute(select(func.max(Category.position)).where(
        Category.organisation_id == organisation_id)).scalar_one() or 0


def subtree(tree: Iterable[tuple[int, int | None]], category_id: int) -> list[int]:
    """The category's id, then those of all its subcategories at any depth (breadth first), from the tree's
    (id, parent id) pairs; just the id when it is not in the tree."""
    children: dict[int | None, list[int]] = {}
    for ident, parent in tree:
        children.setdefault(parent, []).append(ident)
    found, seen = [category_id], {category_id}
    for ident in found:  # grows as it is walked
        for child in children.get(ident, ()):
            if child not in seen:  # a cycle in a broken tree ends here
                seen.add(child)
                found.append(child)
    return found


def tree_order(rows: list[Category]) -> list[tuple[Category, int]]:
    """The categories depth first, siblings by position, each with its depth (0 at the top). A category whose
    parent is not among `rows` (retired and left out) stands at the top."""
    present = {row.id for row in rows}
    children: dict[int | None, list[Category]] = {}
    for row in sorted(rows, key=lambda r: (r.position, r.id)):
        children.setdefault(row.parent_id if row.parent_id in present else None, []).append(row)
    ordered: list[tuple[Category, int]] = []
    waiting = [(row, 0) for row in reversed(children.get(None, []))]
    while waiting:
        row, depth = waiting.pop()
        ordered.append((row, depth))
        waiting.extend((child, depth + 1) for child in reversed(children.get(row.id, [])))
    return ordered


def _categories(organisation_id: int, *, active_only: bool = False) -> list[Category]:
    query = select(Category).where(Category.organisation_id == organisation_id)
    if active_only:
        query = query.where(Category.active.is_(True))
    return list(db.session.execute(query).scalars())


def category_tree(organisation_id: int) -> list[tuple[Category, int]]:
    """Every category of the organisation, retired ones too, in tree order with its depth."""
    return tree_order(_categories(organisation_id))


def category_choices(organisation_id: int, *, retired: bool = False) -> list[tuple[int, str]]:
    """Active categories (and retired ones too if asked) as (id, "Parent › Child") in tree order."""
    rows = _categories(organisation_id, active_only=not retired)
    names = {c.id: c.name for c in rows}
    return [(c.id, f"{names[c.parent_id]} › {c.name}" if c.parent_id in names else c.name)
            for c, _depth in tree_order(rows)]


def set_category_active(category: Category, active: bool) -> None:
    """Retire a category from new complaints (complaints already in it keep it), or bring it back."""
    category.active = active
    db.session.flush()
