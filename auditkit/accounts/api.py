"""API: who the token acts as."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from auditkit.accounts.models import User
from auditkit.accounts.schemas import MeSchema
from auditkit.core.security import current_actor, requires
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

blp = Blueprint("account", __name__, url_prefix="/me", description="The user and role the token acts as")


@blp.route("")
class Me(MethodView):
    @requires("organisation.view")
    @blp.response(200, MeSchema)
    def get(self):
        actor = current_actor()
        user = db.session.get(User, actor.user_id)
        organisation = db.session.get(Organisation, actor.organisation_id)
        return {"id": user.id, "email": user.email, "name": user.name, "organisation": organisation.slug,
                "role": actor.role.value}
