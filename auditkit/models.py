"""Every feature's models, imported in one place so the mapper and the migrations see the whole schema."""

from auditkit.accounts import models as accounts  # noqa: F401
from auditkit.actions import models as actions  # noqa: F401
from auditkit.assessments import models as assessments  # noqa: F401
from auditkit.complaints import models as complaints  # noqa: F401
from auditkit.complaints import portal_models as complaint_portal  # noqa: F401
from auditkit.complaints import tallies as complaint_tallies  # noqa: F401  (its models, and the flush hook)
from auditkit.core import audit_trail  # noqa: F401
from auditkit.documents import models as documents  # noqa: F401
from auditkit.orgs import models as orgs  # noqa: F401
from auditkit.standard import models as standard  # noqa: F401
