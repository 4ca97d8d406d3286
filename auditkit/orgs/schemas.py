"""API schemas of organisations and memberships."""

from marshmallow import Schema, fields, validate

from auditkit.core.i18n import LOCALES
from auditkit.core.security import Role


class OrganisationSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    slug = fields.Str(dump_only=True)
    locale = fields.Str(validate=validate.OneOf(list(LOCALES)))
    timezone = fields.Str()
    version = fields.Int(metadata={"description": "Send back the version you read; a stale one gets 409"})


class OrganisationUpdateSchema(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    locale = fields.Str(required=True, validate=validate.OneOf(list(LOCALES)))
    timezone = fields.Str(required=True)
    version = fields.Int(required=True)


class MemberSchema(Schema):
    id = fields.Int(dump_only=True)
    email = fields.Email(attribute="user.email")
    name = fields.Str(attribute="user.name")
    role = fields.Str(validate=validate.OneOf([r.value for r in Role]))
    created_at = fields.DateTime(dump_only=True)


class MemberCreateSchema(Schema):
    email = fields.Email(required=True)
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))
    name = fields.Str(load_default="", validate=validate.Length(max=200))


class MemberCreatedSchema(MemberSchema):
    temporary_password = fields.Str(
        allow_none=True, metadata={"description": "For a new account only: hand it over; it must be changed"})


class RoleSchema(Schema):
    role = fields.Str(required=True, validate=validate.OneOf([r.value for r in Role]))
