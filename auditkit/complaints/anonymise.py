"""Anonymising finished complaints (8.1: personal data is kept no longer than handling needs it). The
complainant's personal fields, preferred language and survey comment are emptied, the complaint's
attachments are deleted (their rows at once, their stored files once the transaction commits) and the
complaint is marked anonymised. Changes go through the unit of work, in batches, so the audit trail records
that each field changed and when; the values themselves never reach it (Complaint.__audit_redact__).

Refuses: a role without `complaint.anonymise`; an actor of another organisation (NotFound); a date after
today in the organisation's time zone.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from auditkit.complaints.models import PERSONAL_FIELDS, Complaint, ComplaintEvent
from auditkit.complaints.portal_models import ComplaintAttachment
from auditkit.complaints.states import Status
from auditkit.core import storage
from auditkit.core.db import utcnow
from auditkit.core.errors import NotFound, ValidationFailed
from auditkit.core.security import Actor, require
from auditkit.extensions import db
from auditkit.orgs.models import Organisation

log = logging.getLogger(__name__)

ANONYMISED_FIELDS = (*PERSONAL_FIELDS, "preferred_language", "satisfaction_comment")
FINISHED = (Status.CLOSED.value, Status.WITHDRAWN.value, Status.REJECTED.value)
BATCH_SIZE = 1000
_FILES_TO_DELETE = "auditkit.complaints.anonymise:files"


def anonymise_closed(actor: Actor | None, organisation: Organisation, closed_before: date, *,
                     batch_size: int = BATCH_SIZE) -> int:
    """Anonymise the organisation's closed, withdrawn and rejected complaints whose closing time lies before
    the start of `closed_before` in the organisation's time zone; returns how many were anonymised (those
    anonymised before are left as they are). `actor` None: the command line, which names itself in the
    audit trail with audit_trail.act_as. Each batch is flushed, then its complaints leave the session."""
    if actor is not None:
        if actor.organisation_id != organisation.id:
            raise NotFound()
        require(actor, "complaint.anonymise")
    zone = ZoneInfo(organisation.timezone or "UTC")
    now = utcnow()
    if closed_before > now.astimezone(zone).date():
        raise ValidationFailed({"closed_before": _("The date cannot be in the future.")})
    cutoff = datetime.combine(closed_before, time(), zone)
    due = (select(Complaint)
           .where(Complaint.organisation_id == organisation.id, Complaint.status.in_(FINISHED),
                  Complaint.closed_at < cutoff, Complaint.anonymised_at.is_(None))
           .order_by(Complaint.id).limit(batch_size))
    count, after = 0, 0
    while batch := db.session.execute(due.where(Complaint.id > after)).scalars().all():
        for complaint in batch:
            for name in ANONYMISED_FIELDS:
                setattr(complaint, name, None)
            complaint.anonymised_at = now
        ids = [complaint.id for complaint in batch]
        _remove_attachments(ids)
        db.session.flush()
        for complaint in batch:  # keep the identity map to one batch, however many complaints there are
            db.session.expunge(complaint)
        count, after = count + len(batch), ids[-1]
    return count


def _remove_attachments(complaint_ids: list[int]) -> None:
    """Delete the complaints' attachments and the file names in their timeline; the files follow on commit."""
    attachments = db.session.execute(select(ComplaintAttachment).where(
        ComplaintAttachment.complaint_id.in_(complaint_ids))).scalars().all()
    for attachment in attachments:
        db.session.delete(attachment)
    if attachments:
        db.session.info.setdefault(_FILES_TO_DELETE, []).extend(a.storage_key for a in attachments)
        events = db.session.execute(select(ComplaintEvent).where(
            ComplaintEvent.complaint_id.in_(complaint_ids), ComplaintEvent.kind == "attachment")).scalars()
        for timeline_event in events:
            timeline_event.data = {k: v for k, v in (timeline_event.data or {}).items() if k != "filename"}


@event.listens_for(Session, "after_commit")
def _delete_files_after_commit(session: Session) -> None:
    for key in session.info.pop(_FILES_TO_DELETE, ()):
        try:
            storage.delete(key)
        except OSError as error:  # the rows are gone already: say which file is left over, go on
            log.warning("anonymise: could not delete the stored file %s: %s", key, error)


@event.listens_for(Session, "after_rollback")
def _keep_files_after_rollback(session: Session) -> None:
    session.info.pop(_FILES_TO_DELETE, None)
