"""API: the token's organisation and its members. Same services and gate as the pages."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint, Page
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.orgs import services
from auditkit.orgs.models import Membership, Organisation
from auditkit.orgs.schemas import (
    MemberCreatedSchema,
    MemberCreateSchema,
    MemberSchema,
    OrganisationSchema,
    OrganisationUpdateSchema,
    RoleSchema,
)

blp = Blueprint("organisation", __name__, url_prefix="", description="The token's organisation and its members")


class SQLPage(Page):
    """flask-smorest's pagination, done in SQL: LIMIT/OFFSET on the select, a COUNT for the total."""

    @property
    def item_count(self):
        statement = self.collection.order_by(None)
        return db.session.execute(select(func.count()).select_from(statement.subquery())).scalar_one()

    @property
    def items(self):
        return db.session.execute(
            self.collection.limit(self.page_params.page_size).offset(self.page_params.first_item)
        ).scalars().all()


@blp.route("/organisation")
class OrganisationResource(MethodView):
    @requires("organisation.view")
    @blp.response(200, OrganisationSchema)
    def get(self):
        actor = current_actor()
        return load_for(actor, Organisation, actor.organisation_id, "organisation.view")

    @requires("organisation.edit_settings")
    @blp.arguments(OrganisationUpdateSchema)
    @blp.response(200, OrganisationSchema)
    def put(self, data):
        actor = current_actor()
        organisation = load_for(actor, Organisation, actor.organisation_id, "organisation.edit_settings")
        services.update_organisation(actor, organisation, **data)
        db.session.commit()
        return organisation


@blp.route("/members")
class Members(MethodView):
    @requires("member.view")
    @blp.response(200, MemberSchema(many=True))
    @blp.paginate(SQLPage)
    def get(self):
        actor = current_actor()
        return scoped(actor, Membership).options(selectinload(Membership.user)).order_by(Membership.id)

    @requires("member.manage")
    @blp.arguments(MemberCreateSchema)
    @blp.response(201, MemberCreatedSchema)
    def post(self, data):
        membership, temporary = services.add_member(current_actor(), **data)
        db.session.commit()
        return {"id": membership.id, "user": membership.user, "role": membership.role,
                "created_at": membership.created_at, "temporary_password": temporary}


@blp.route("/members/<int:membership_id>")
class Member(MethodView):
    @requires("member.view")
    @blp.response(200, MemberSchema)
    def get(self, membership_id: int):
        return load_for(current_actor(), Membership, membership_id, "member.view")

    @requires("member.manage")
    @blp.arguments(RoleSchema)
    @blp.response(200, MemberSchema)
    def patch(self, data, membership_id: int):
        actor = current_actor()
        membership = load_for(actor, Membership, membership_id, "member.manage")
        services.change_role(actor, membership, data["role"])
        db.session.commit()
        return membership

    @requires("member.manage")
    @blp.response(204)
    def delete(self, membership_id: int):
        actor = current_actor()
        services.remove_member(actor, load_for(actor, Membership, membership_id, "member.manage"))
        db.session.commit()
