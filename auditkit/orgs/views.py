"""An organisation's own pages under /o/<slug>/: dashboard, members, settings, API tokens and the audit
trail. Each view loads through the gate, checks the action, calls one service and commits once."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auditkit.accounts import tokens
from auditkit.core.audit_trail import AuditEntry, history_for
from auditkit.core.errors import ValidationFailed
from auditkit.core.security import Actor, current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs import services
from auditkit.orgs.forms import MemberAddForm, OrganisationSettingsForm, RoleForm, TokenForm
from auditkit.orgs.models import Membership
from auditkit.web.forms import ConfirmForm, show_errors

bp = Blueprint("orgs", __name__, url_prefix="/o/<slug>")


def _status(form) -> int:
    return 422 if form.errors or form.form_errors else 200


def add_member_from(form: MemberAddForm, actor: Actor) -> tuple[Membership, str | None] | None:
    """Submit the add-member form (members page and system administration alike): the new membership and,
    for a new account, its one-time password; None when nothing was submitted or it was refused (the
    reasons are then on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        membership, temporary = services.add_member(actor, email=form.email.data, role=form.role.data,
                                                    name=form.name.data or "")
    except ValidationFailed as error:
        db.session.rollback()
        show_errors(form, error)
        return None
    db.session.commit()
    if temporary is None:
        flash(_("%(email)s has been added.", email=membership.user.email), "success")
    return membership, temporary


@bp.route("/")
@requires("organisation.view")
def dashboard():
    actor = current_actor()
    members = db.session.execute(
        select(func.count()).select_from(scoped(actor, Membership).subquery())
    ).scalar_one()
    recent = []
    if actor.can("audit_trail.view"):
        recent = list(db.session.execute(
            select(AuditEntry).where(AuditEntry.chain == actor.organisation_id)
            .order_by(AuditEntry.seq.desc()).limit(8)
        ).scalars())
    return render_template("orgs/dashboard.html", members=members, recent=recent)


@bp.route("/members", methods=["GET", "POST"])
@requires("member.view", POST="member.manage")
def members():
    actor = current_actor()
    form = MemberAddForm()
    added = add_member_from(form, actor)
    if added is not None:
        membership, temporary = added
        if temporary is None:
            return redirect(url_for(".members"))
        # A new account: its one-time password is shown on this response only.
        return render_template("orgs/member_added.html", membership=membership, temporary=temporary)
    listing = db.paginate(
        scoped(actor, Membership).options(selectinload(Membership.user)).order_by(Membership.created_at),
        per_page=50, max_per_page=200)
    return render_template("orgs/members.html", form=form, page=listing), _status(form)


@bp.route("/members/<int:membership_id>", methods=["GET", "POST"])
@requires("member.view", POST="member.manage")
def member(membership_id: int):
    actor = current_actor()
    action = "member.manage" if request.method == "POST" else "member.view"
    membership = load_for(actor, Membership, membership_id, action)
    form = RoleForm(role=membership.role)
    if form.validate_on_submit():
        try:
            services.change_role(actor, membership, form.role.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Role changed."), "success")
            return redirect(url_for(".member", membership_id=membership.id))
    history = list(history_for(db.session, membership)) if actor.can("audit_trail.view") else []
    return render_template("orgs/member.html", membership=membership, form=form, confirm=ConfirmForm(),
                           history=history), _status(form)


@bp.route("/members/<int:membership_id>/remove", methods=["POST"])
@requires("member.manage")
def remove_member(membership_id: int):
    actor = current_actor()
    membership = load_for(actor, Membership, membership_id, "member.manage")
    if not ConfirmForm().validate_on_submit():
        abort(400)
    email = membership.user.email
    try:
        services.remove_member(actor, membership)
    except ValidationFailed as error:
        db.session.rollback()
        flash(" ".join(error.fields.get("_", [error.message])), "danger")
        return redirect(url_for(".member", membership_id=membership_id))
    db.session.commit()
    flash(_("%(email)s has been removed from the organisation.", email=email), "success")
    return redirect(url_for(".members"))


@bp.route("/settings", methods=["GET", "POST"])
@requires("organisation.view", POST="organisation.edit_settings")
def settings():
    actor = current_actor()
    organisation = g.organisation
    form = OrganisationSettingsForm(obj=organisation)
    if form.validate_on_submit():
        try:
            services.update_organisation(actor, organisation, name=form.name.data, locale=form.locale.data,
                                         timezone=form.timezone.data, version=form.version.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for(".settings"))
    history = list(history_for(db.session, organisation)) if actor.can("audit_trail.view") else []
    return render_template("orgs/settings.html", form=form, history=history,
                           can_edit=actor.can("organisation.edit_settings")), _status(form)


@bp.route("/tokens", methods=["GET", "POST"])
@requires("api_token.manage_own")
def api_tokens():
    actor = current_actor()
    form = TokenForm()
    secret = None
    if form.validate_on_submit():
        try:
            _token, secret = tokens.create_token(actor, name=form.name.data)
        except ValidationFailed as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            form = TokenForm(formdata=None)
    return render_template("orgs/tokens.html", form=form, tokens=tokens.tokens_of(actor), secret=secret,
                           confirm=ConfirmForm()), _status(form)


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@requires("api_token.manage_own")
def revoke_token(token_id: int):
    actor = current_actor()
    token = tokens.own_token(actor, token_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    tokens.revoke_token(actor, token)
    db.session.commit()
    flash(_("Token “%(name)s” revoked.", name=token.name), "success")
    return redirect(url_for(".api_tokens"))


@bp.route("/audit-trail")
@requires("audit_trail.view")
def audit_trail():
    actor = current_actor()
    listing = db.paginate(
        select(AuditEntry).where(AuditEntry.chain == actor.organisation_id).order_by(AuditEntry.seq.desc()),
        per_page=50, max_per_page=200)
    return render_template("orgs/audit_trail.html", page=listing)
