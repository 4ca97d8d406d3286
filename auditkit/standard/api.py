"""API: read the clause libraries, checklists and their versions the token's organisation sees."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from auditkit.core.security import current_actor, load_for, requires, scoped
from auditkit.extensions import db
from auditkit.standard import queries, services
from auditkit.standard.models import Checklist, Framework
from auditkit.standard.schemas import ChecklistSchema, ChecklistVersionSchema, ClauseListSchema, FrameworkSchema

blp = Blueprint("checklists", __name__, url_prefix="", description="Clause libraries and checklists")


@blp.route("/frameworks")
class Frameworks(MethodView):
    @requires("standard.view")
    @blp.response(200, FrameworkSchema(many=True))
    def get(self):
        return db.session.execute(scoped(current_actor(), Framework).order_by(Framework.key)).scalars().all()


@blp.route("/frameworks/<int:framework_id>/clauses")
class Clauses(MethodView):
    @requires("standard.view")
    @blp.response(200, ClauseListSchema)
    def get(self, framework_id: int):
        """The clauses of the latest version, in the library's order (parent before child)."""
        framework = load_for(current_actor(), Framework, framework_id, "standard.view")
        version = queries.latest_framework_version(framework)
        return {"framework": framework, "version": version.number, "content_hash": version.content_hash,
                "clauses": version.clauses}


@blp.route("/checklists")
class Checklists(MethodView):
    @requires("standard.view")
    @blp.response(200, ChecklistSchema(many=True))
    def get(self):
        return [checklist for checklist, _version in queries.checklists_for(current_actor())]


@blp.route("/checklists/<int:checklist_id>")
class ChecklistResource(MethodView):
    @requires("standard.view")
    @blp.response(200, ChecklistSchema)
    def get(self, checklist_id: int):
        return load_for(current_actor(), Checklist, checklist_id, "standard.view")


@blp.route("/checklists/<int:checklist_id>/versions/<int:number>")
class ChecklistVersionResource(MethodView):
    @requires("standard.view")
    @blp.response(200, ChecklistVersionSchema)
    def get(self, checklist_id: int, number: int):
        """One version with its questions."""
        checklist = load_for(current_actor(), Checklist, checklist_id, "standard.view")
        return services.version_for(checklist, number)
