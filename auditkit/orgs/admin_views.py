"""System administration of organisations: list, create, and give people roles in them."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, Role, system_admin_required
from auditkit.extensions import db
from auditkit.orgs import services
from auditkit.orgs.forms import MemberAddForm, OrganisationCreateForm
from auditkit.orgs.models import Membership, Organisation
from auditkit.orgs.views import add_member_from
from auditkit.web.forms import show_errors

bp = Blueprint("org_admin", __name__, url_prefix="/admin/organisations")


def _admin_actor(organisation: Organisation) -> Actor:
    """A system administrator acts on an organisation's membership with a manager's rights."""
    return Actor(user_id=current_user.id, organisation_id=organisation.id, role=Role.MANAGER,
                 label=current_user.email, is_system_admin=True)


@bp.route("/", methods=["GET", "POST"])
@system_admin_required
def organisations():
    form = OrganisationCreateForm()
    if form.is_submitted() is False:
        form.timezone.data = "UTC"
    if form.validate_on_submit():
        try:
            organisation = services.create_organisation(
                current_user, name=form.name.data, slug=form.slug.data, locale=form.locale.data,
                timezone=form.timezone.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Organisation %(name)s created. Add its first manager now.", name=organisation.name),
                  "success")
            return redirect(url_for(".organisation", organisation_id=organisation.id))
    page = db.paginate(select(Organisation).order_by(Organisation.name), per_page=50, max_per_page=200)
    member_counts = dict(db.session.execute(
        select(Membership.organisation_id, func.count())
        .where(Membership.organisation_id.in_([o.id for o in page.items]))
        .group_by(Membership.organisation_id)
    ).all())
    return render_template("orgs/admin_organisations.html", form=form, page=page,
                           member_counts=member_counts), 422 if form.errors else 200


@bp.route("/<int:organisation_id>", methods=["GET", "POST"])
@system_admin_required
def organisation(organisation_id: int):
    found = db.session.get(Organisation, organisation_id)
    if found is None:
        abort(404)
    form = MemberAddForm()
    added, temporary = add_member_from(form, _admin_actor(found)) or (None, None)
    if added is not None:
        if temporary is None:
            return redirect(url_for(".organisation", organisation_id=found.id))
        form = MemberAddForm(formdata=None)
    members = db.session.execute(
        select(Membership).where(Membership.organisation_id == found.id)
        .options(selectinload(Membership.user)).order_by(Membership.created_at)
    ).scalars().all()
    return render_template("orgs/admin_organisation.html", organisation=found, members=members, form=form,
                           added=added, temporary=temporary), 422 if form.errors else 200
