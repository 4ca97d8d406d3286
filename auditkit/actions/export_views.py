"""The register's download for the pages: /o/<slug>/actions/export?format=xlsx|csv with the register's filter
arguments (status, source, owner_id or owner=me, clause, overdue, due_soon, q), so the register page can link to
it with its own query string. A filter value that is not understood is left out, as on the register page; an
unknown format is 404. The file is exporting.py's, the same as the API's."""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, g, request

from auditkit.actions import exporting, links
from auditkit.actions.queries import ActionFilter
from auditkit.actions.states import ActionStatus
from auditkit.core.errors import NotFound
from auditkit.core.security import Actor, current_actor, requires

bp = Blueprint("action_export", __name__, url_prefix="/o/<slug>/actions/export")

_YES = ("y", "1", "on", "true", "yes")


def action_filter(args: Mapping[str, str], actor: Actor) -> ActionFilter:
    """The register's filter from its query arguments; a value that is not understood is left out."""
    owner = args.get("owner") or args.get("owner_id") or ""
    return ActionFilter(
        status=args.get("status") if args.get("status") in {s.value for s in ActionStatus} else None,
        source=args.get("source") if args.get("source") in links.source_kinds() else None,
        owner_id=actor.user_id if owner == "me" else (int(owner) if owner.isdigit() else None),
        clause=(args.get("clause") or "")[:120] or None,
        overdue=args.get("overdue", "").lower() in _YES, due_soon=args.get("due_soon", "").lower() in _YES,
        text=(args.get("q") or "")[:200] or None)


@bp.route("")
@requires("action.export")
def download():
    """The filtered register as an .xlsx workbook (the default) or CSV."""
    fmt = request.args.get("format", "xlsx")
    if fmt not in exporting.FORMATS:
        raise NotFound()
    actor = current_actor()
    return exporting.response(actor, g.organisation, action_filter(request.args, actor), fmt)
