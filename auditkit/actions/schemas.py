"""API schemas of the corrective-action register: its filters and keyset page, raising and editing an action,
its tasks, one body per workflow step mirroring the step's service in workflow.py, and an action as the API
shows it (tasks, links, timeline, evidence). The schemas check types, choices and lengths and document them in
the OpenAPI document; the services decide everything else (and name the field when they refuse)."""

from __future__ import annotations

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate

from auditkit.actions import links
from auditkit.actions.models import FISHBONE, KINDS, PRIORITIES, RCA_METHODS, VERDICTS
from auditkit.actions.states import TRANSITIONS, ActionStatus

STATUSES = [status.value for status in ActionStatus]
FORMATS = ("xlsx", "csv")
MAX_PAGE = 200
CURSOR = r"\d{1,19}"  # the id of the last action of the previous page
SUGGESTIONS = ("effective", "not_effective", "inconclusive")


def _text(limit: int, description: str, **kwargs) -> fields.Str:
    return fields.Str(validate=validate.Length(max=limit), metadata={"description": description}, **kwargs)


def _choice(values, description: str, **kwargs) -> fields.Str:
    return fields.Str(validate=validate.OneOf(list(values)), metadata={"description": description}, **kwargs)


def _source_kind(value: str) -> None:
    # Read when a request comes, not at import: features written later register their kinds in links.py.
    if value not in links.source_kinds():
        raise ValidationError(_("Must be one of: %(values)s.", values=", ".join(links.source_kinds())))


def _source_field(description: str, **kwargs) -> fields.Str:
    return fields.Str(validate=_source_kind, metadata={"description": description}, **kwargs)


def _version() -> fields.Int:
    return fields.Int(required=True, metadata={
        "description": "The action's version you read (from GET or the last response). A stale one gets 409 and "
                       "nothing is changed: reload the action and apply your change again."})


# The register ------------------------------------------------------------------------------------------------

class ActionFilterSchema(Schema):
    """The register's filters, shared by the list and the export."""

    status = _choice(STATUSES, "Only actions in this state.")
    source = _source_field("Only actions raised from this kind of source (complaint, complaint_trend, none, and "
                           "the kinds other features register).")
    owner_id = fields.Int(metadata={"description": "Only actions owned by this member (a user id)."})
    clause = _text(120, "Only actions linked to this clause, by key (e.g. iso10002:2018:8.7).")
    overdue = fields.Bool(load_default=False, metadata={
        "description": "Only actions past their due date while still being worked on (open, root cause found, "
                       "planned, not effective), or implemented with their effectiveness check date passed. Dates "
                       "are the organisation's calendar days."})
    due_soon = fields.Bool(load_default=False, metadata={
        "description": "Only actions due (or whose effectiveness check is due) within the next 7 days, not yet "
                       "overdue."})
    q = _text(200, "Text in the reference or the title.", load_default="")


class ActionQuerySchema(ActionFilterSchema):
    after = fields.Str(validate=validate.Regexp(CURSOR), metadata={
        "description": "The `next` cursor of the previous page; keep the same filters."})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE), metadata={
        "description": f"How many actions per page (1 to {MAX_PAGE})."})


class ActionExportQuerySchema(ActionFilterSchema):
    format = _choice(FORMATS, "The file format: an .xlsx workbook (sheet “Actions”) or CSV (UTF-8 with a byte-order "
                              "mark).", load_default="xlsx")


# Raising and editing -----------------------------------------------------------------------------------------

class _ActionFields(Schema):
    title = _text(200, "What the action is, in a line.")
    problem = _text(20000, "The problem it addresses: what happened, where, how often.")
    kind = _choice(KINDS, "Correction (fix the instance), corrective (remove the cause), preventive (stop it "
                          "happening elsewhere) or improvement.")
    priority = _choice(PRIORITIES, "How urgent it is.")
    owner_id = fields.Int(metadata={"description": "The member (user id) who carries the action out."})
    due_on = fields.Date(metadata={"description": "When the action is due (a day of the organisation's "
                                                  "calendar), not before the day it was raised."})
    containment = _text(20000, "What was done at once to contain the problem.", allow_none=True)
    containment_done = fields.Bool(metadata={"description": "Whether the containment is in place."})
    category_id = fields.Int(allow_none=True, metadata={
        "description": "The complaint category the action is meant to reduce: the effectiveness evidence counts "
                       "its complaints before and after the implementation."})
    product = _text(200, "The product or service the action is meant to reduce complaints about (with or "
                         "instead of a category).", allow_none=True)
    clause_keys = fields.List(fields.Str(validate=validate.Length(max=120)), metadata={
        "description": "The ISO 10002 clauses the action relates to, by key (e.g. iso10002:2018:8.7)."})


class ActionCreateSchema(_ActionFields):
    """What services.raise_action takes: the action's fields and its source."""

    title = _text(200, "What the action is, in a line.", required=True)
    problem = _text(20000, "The problem it addresses: what happened, where, how often.", required=True)
    kind = _choice(KINDS, "Correction (fix the instance), corrective (remove the cause), preventive (stop it "
                          "happening elsewhere) or improvement.", load_default="corrective")
    priority = _choice(PRIORITIES, "How urgent it is.", load_default="medium")
    owner_id = fields.Int(required=True, metadata={
        "description": "The member (user id) who carries the action out."})
    due_on = fields.Date(required=True, metadata={
        "description": "When the action is due (a day of the organisation's calendar), not before today."})
    containment = _text(20000, "What was done at once to contain the problem.", load_default="", allow_none=True)
    containment_done = fields.Bool(load_default=False, metadata={
        "description": "Whether the containment is in place."})
    category_id = fields.Int(load_default=None, allow_none=True, metadata={
        "description": "The complaint category the action is meant to reduce: the effectiveness evidence counts "
                       "its complaints before and after the implementation. Taken from the source complaint when "
                       "neither it nor a product is given."})
    product = _text(200, "The product or service the action is meant to reduce complaints about (with or "
                         "instead of a category).", load_default="", allow_none=True)
    clause_keys = fields.List(fields.Str(validate=validate.Length(max=120)), load_default=list, metadata={
        "description": "The ISO 10002 clauses the action relates to, by key (e.g. iso10002:2018:8.7)."})
    source_kind = _source_field("Where the action comes from: `complaint` (give source_id), `complaint_trend` (give "
                                "category_id or product), `none`, or a kind another feature registers.",
                                load_default=links.NO_SOURCE)
    source_id = fields.Int(load_default=None, allow_none=True, metadata={
        "description": "The id of the source record (a complaint's id for `complaint`)."})


class ActionEditSchema(_ActionFields):
    """PATCH: the fields given replace the action's; the others stay as they are."""

    version = _version()


# Tasks -------------------------------------------------------------------------------------------------------

class ActionTaskCreateSchema(Schema):
    version = _version()
    title = _text(300, "What is to be done.", required=True)
    owner_id = fields.Int(load_default=None, allow_none=True, metadata={
        "description": "The member who does it (a user id); none: the action's owner."})
    due_on = fields.Date(required=True, metadata={"description": "When the task is due, not before the day the "
                                                                 "action was raised."})


class ActionTaskDoneSchema(Schema):
    version = _version()
    done = fields.Bool(required=True, metadata={"description": "true: mark the task done; false: reopen it."})


# The workflow's steps, one body each (the arguments of the step's service) -----------------------------------

class ActionStepSchema(Schema):
    version = _version()


class ActionRootCauseStepSchema(ActionStepSchema):
    method = _choice(RCA_METHODS, "The analysis method: five whys or an Ishikawa (fishbone) diagram.", required=True)
    analysis = fields.Raw(required=True, metadata={
        "description": "For five_whys, the answers in order (at most 7); for fishbone, an object mapping 6M "
                       f"categories ({', '.join(FISHBONE)}) to lists of causes.",
        "oneOf": [{"type": "array", "items": {"type": "string"}},
                  {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}]})
    root_cause = _text(5000, "The root cause the analysis found.", required=True)


class ActionPlanStepSchema(ActionStepSchema):
    effectiveness_criteria = _text(5000, "How you will know the action worked (e.g. billing complaints halve "
                                         "within 30 days).", required=True)
    check_on = fields.Date(required=True, metadata={
        "description": "The day of the effectiveness check, not in the past."})


class ActionImplementStepSchema(ActionStepSchema):
    note = _text(5000, "What was done, for the timeline.", load_default="")


class ActionVerifyStepSchema(ActionStepSchema):
    verdict = _choice(VERDICTS, "Whether the action was effective.", required=True)
    comment = _text(5000, "What the verdict rests on; required when not effective (the next plan starts from it).",
                    load_default="")


# An action as the API shows it -------------------------------------------------------------------------------

class ActionTaskSchema(Schema):
    id = fields.Int(metadata={"description": "The task's id."})
    round = fields.Int(metadata={"description": "The plan it belongs to: 1 for the first plan, 2 after a “not "
                                                "effective” verdict..."})
    position = fields.Int(metadata={"description": "Its place in the plan."})
    title = fields.Str(metadata={"description": "What is to be done."})
    owner_id = fields.Int(allow_none=True, metadata={"description": "Who does it (a user id); null: the action's "
                                                                    "owner."})
    due_on = fields.Date(metadata={"description": "When it is due."})
    done = fields.Bool(metadata={"description": "Whether it is done."})
    done_at = fields.DateTime(allow_none=True, metadata={"description": "When it was marked done."})
    created_at = fields.DateTime(metadata={"description": "When it was added."})


class ActionLinkSchema(Schema):
    kind = fields.Str(metadata={"description": "What the link points to: complaint, clause, or a kind another "
                                               "feature registers."})
    target_id = fields.Int(allow_none=True, metadata={"description": "The record's id (every kind but clauses)."})
    target_key = fields.Str(allow_none=True, metadata={"description": "The clause's key (clauses only)."})
    is_source = fields.Bool(metadata={"description": "Whether the action was raised from this record."})
    label = fields.Str(metadata={"description": "The record as people know it (a complaint's reference, a "
                                                "clause's number and title)."})
    url = fields.Str(allow_none=True, metadata={"description": "The record's page, when it has one."})


class ActionEventSchema(Schema):
    id = fields.Int(metadata={"description": "The event's id; the timeline is in id order."})
    kind = fields.Str(metadata={"description": "raise, a step's name, task, task_done, task_reopened or edit."})
    label = fields.Str(metadata={"description": "The kind, in words, in the request's language."})
    at = fields.DateTime(metadata={"description": "When it happened."})
    actor_label = fields.Str(metadata={"description": "Who did it."})
    from_status = fields.Str(allow_none=True, metadata={"description": "The state before a step."})
    to_status = fields.Str(allow_none=True, metadata={"description": "The state after a step."})
    data = fields.Dict(metadata={"description": "What the step recorded (a root cause, a verdict, a task's "
                                                "title...)."})


class ActionEvidenceSideSchema(Schema):
    start = fields.Str(metadata={"description": "The window's start (ISO 8601, UTC)."})
    end = fields.Str(metadata={"description": "The window's end (ISO 8601, UTC)."})
    count = fields.Int(metadata={"description": "Complaints of the action's category or product received in it."})
    per_30_days = fields.Float(metadata={"description": "The same, per 30 days."})
    share_pct = fields.Float(allow_none=True, metadata={
        "description": "Their share of all complaints received in the window (null: none were)."})


class ActionEvidenceSchema(Schema):
    live = fields.Bool(metadata={"description": "true: computed now from the register (the action awaits its "
                                                "verdict); false: frozen with the verdict."})
    category_id = fields.Int(allow_none=True, metadata={"description": "The category counted."})
    product = fields.Str(allow_none=True, metadata={"description": "The product counted."})
    before = fields.Nested(ActionEvidenceSideSchema, metadata={
        "description": "The window before the implementation, as long as the one after."})
    after = fields.Nested(ActionEvidenceSideSchema, metadata={
        "description": "From the implementation to now, or to the check date once it has passed."})
    recurrences = fields.List(fields.Str(), metadata={
        "description": "References of the complaints received after, newest first (the first 50)."})
    suggestion = _choice(SUGGESTIONS, "What the figures suggest: effective when the rate fell by a quarter or "
                                      "more; inconclusive when fewer than 5 complaints came before. The verifier "
                                      "decides.")
    computed_at = fields.Str(metadata={"description": "When the figures were computed (ISO 8601)."})


class ActionSummarySchema(Schema):
    """One action as the register lists it."""

    id = fields.Int(metadata={"description": "The action's id."})
    reference = fields.Str(metadata={"description": "ACT-<year>-<number>, unique in the organisation."})
    title = fields.Str(metadata={"description": "What the action is."})
    kind = fields.Str(metadata={"description": f"One of {', '.join(KINDS)}."})
    priority = fields.Str(metadata={"description": f"One of {', '.join(PRIORITIES)}."})
    status = fields.Str(metadata={"description": f"One of {', '.join(STATUSES)}."})
    status_label = fields.Str(metadata={"description": "The state, in words, in the request's language."})
    owner_id = fields.Int(metadata={"description": "The owner (a user id)."})
    owner_name = fields.Str(metadata={"description": "The owner's name (or email when no name is set)."})
    due_on = fields.Date(metadata={"description": "When the action is due."})
    check_on = fields.Date(allow_none=True, metadata={"description": "The day of the effectiveness check, once "
                                                                     "planned."})
    overdue = fields.Bool(metadata={"description": "Past its due date while being worked on, or implemented with "
                                                   "its check date passed (the organisation's calendar)."})
    due_soon = fields.Bool(metadata={"description": "Due, or its check due, within 7 days and not yet overdue."})
    source_kind = fields.Str(metadata={"description": "Where it comes from (complaint, complaint_trend, none...)."})
    category_id = fields.Int(allow_none=True, metadata={"description": "The complaint category it addresses."})
    product = fields.Str(allow_none=True, metadata={"description": "The product it addresses."})
    clause_keys = fields.List(fields.Str(), metadata={"description": "The clauses it is linked to, by key."})
    tasks_done = fields.Int(metadata={"description": "Tasks done, over every plan."})
    tasks_total = fields.Int(metadata={"description": "Tasks, over every plan."})
    verdict = fields.Str(allow_none=True, metadata={"description": "The current plan's verdict, once verified."})
    closed_at = fields.DateTime(allow_none=True, metadata={"description": "When it was closed."})
    version = fields.Int(metadata={"description": "Send it back with an edit, a task or a step; a stale one gets "
                                                  "409."})
    created_at = fields.DateTime(metadata={"description": "When it was raised."})
    updated_at = fields.DateTime(metadata={"description": "When it last changed."})


class ActionSchema(ActionSummarySchema):
    """One action with its plan, links, timeline and effectiveness evidence."""

    problem = fields.Str(metadata={"description": "The problem it addresses."})
    containment = fields.Str(allow_none=True, metadata={"description": "What was done at once to contain it."})
    containment_done = fields.Bool(metadata={"description": "Whether the containment is in place."})
    raised_by_id = fields.Int(allow_none=True, metadata={"description": "Who raised it (a user id)."})
    rca_method = fields.Str(allow_none=True, metadata={"description": "five_whys or fishbone, once analysed."})
    rca = fields.Raw(allow_none=True, metadata={"description": "The analysis: the whys in order, or a fishbone "
                                                              "{6M category: [causes]}."})
    root_cause = fields.Str(allow_none=True, metadata={"description": "The root cause found."})
    effectiveness_criteria = fields.Str(allow_none=True, metadata={
        "description": "How the action's effectiveness is judged."})
    plan_round = fields.Int(metadata={"description": "The current plan: 0 before the first, 2 after one “not "
                                                     "effective” verdict..."})
    implemented_at = fields.DateTime(allow_none=True, metadata={"description": "When the current plan was marked "
                                                                               "implemented."})
    verified_at = fields.DateTime(allow_none=True, metadata={"description": "When the last verdict was given."})
    verified_by_id = fields.Int(allow_none=True, metadata={"description": "Who gave it (a user id)."})
    verdict_comment = fields.Str(allow_none=True, metadata={"description": "What the verdict rests on."})
    allowed_steps = fields.List(fields.Str(validate=validate.OneOf(list(TRANSITIONS))), metadata={
        "description": "The steps the action's state allows next (POST /actions/{action_id}/steps/{step})."})
    tasks = fields.List(fields.Nested(ActionTaskSchema), metadata={"description": "The tasks of every plan, in order."})
    links = fields.List(fields.Nested(ActionLinkSchema), metadata={"description": "Its source and the records it "
                                                                            "relates to."})
    events = fields.List(fields.Nested(ActionEventSchema), metadata={"description": "The timeline, oldest first."})
    evidence = fields.Nested(ActionEvidenceSchema, allow_none=True, metadata={
        "description": "The before/after complaint figures for its category or product: live while it awaits its "
                       "verdict, then frozen with it; null when the register cannot tell (no category or product, "
                       "or not implemented)."})


class ActionPageSchema(Schema):
    items = fields.List(fields.Nested(ActionSummarySchema), metadata={"description": "The actions, newest first."})
    next = fields.Str(allow_none=True, metadata={"description": "Pass as `after` for the next page; null at the "
                                                                "end."})


class ActionTaskResultSchema(Schema):
    action = fields.Nested(ActionSchema, metadata={"description": "The action, with its new version."})
    task = fields.Nested(ActionTaskSchema, metadata={"description": "The task added or changed."})


class ActionStepResultSchema(Schema):
    action = fields.Nested(ActionSchema, metadata={"description": "The action, with its new state and version."})
    event = fields.Nested(ActionEventSchema, metadata={"description": "The step, as the timeline records it."})
