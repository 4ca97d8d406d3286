"""API schemas of clause libraries, clauses, checklists, versions and questions (read-only)."""

from marshmallow import Schema, fields

TEXTS = {"description": "The text by language: en, fa, zh_Hans, zh_Hant (some may be absent)"}


class FrameworkSchema(Schema):
    id = fields.Int()
    key = fields.Str(metadata={"description": "The library id, e.g. iso10002:2018"})
    standard = fields.Str()
    edition = fields.Str()
    shared = fields.Function(lambda f: f.organisation_id is None,
                             metadata={"description": "True for the library that ships with AuditKit"})
    latest_version = fields.Function(lambda f: f.versions[-1].number if f.versions else None)


class ClauseSchema(Schema):
    key = fields.Str(metadata={"description": "Stable id, e.g. iso10002:2018:7.4"})
    parent_key = fields.Str(allow_none=True)
    number = fields.Str()
    kind = fields.Str()
    title = fields.Dict(keys=fields.Str(), values=fields.Str(), metadata=TEXTS)
    guidance = fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True, metadata=TEXTS)
    uncertain = fields.Str(allow_none=True, metadata={"description": "What of the entry is not certain"})


class ClauseListSchema(Schema):
    framework = fields.Nested(FrameworkSchema)
    version = fields.Int()
    content_hash = fields.Str()
    clauses = fields.List(fields.Nested(ClauseSchema))


class VersionSummarySchema(Schema):
    number = fields.Int()
    content_hash = fields.Str()
    created_at = fields.DateTime()
    note = fields.Str()
    questions = fields.Function(lambda v: len(v.questions))


class ChecklistSchema(Schema):
    id = fields.Int()
    key = fields.Str()
    kind = fields.Str()
    library = fields.Function(lambda c: c.framework.key)
    shared = fields.Function(lambda c: c.organisation_id is None)
    source = fields.Str()
    versions = fields.List(fields.Nested(VersionSummarySchema))


class QuestionSchema(Schema):
    key = fields.Str()
    clause_key = fields.Str()
    text = fields.Dict(keys=fields.Str(), values=fields.Str(), metadata=TEXTS)
    guidance = fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True)
    evidence = fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True)
    importance = fields.Str()
    weight = fields.Float()
    metric = fields.Str(allow_none=True)
    method = fields.Str(allow_none=True)
    sample = fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True)
    tags = fields.List(fields.Str())


class ChecklistVersionSchema(VersionSummarySchema):
    checklist = fields.Function(lambda v: v.checklist.key)
    title = fields.Dict(keys=fields.Str(), values=fields.Str())
    description = fields.Dict(keys=fields.Str(), values=fields.Str(), allow_none=True)
    framework_version = fields.Function(lambda v: v.framework_version.number)
    questions = fields.List(fields.Nested(QuestionSchema))
