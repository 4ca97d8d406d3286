"""API schemas of accounts."""

from marshmallow import Schema, fields


class MeSchema(Schema):
    id = fields.Int()
    email = fields.Email()
    name = fields.Str()
    organisation = fields.Str(metadata={"description": "The slug of the token's organisation"})
    role = fields.Str()
