"""The audit trail: every create, update and delete of organisation data, captured once by a session
listener, appended as hash-chained entries (one chain per organisation, chain 0 for data that belongs to
no organisation such as user accounts) and verifiable by `auditkit audit-trail verify`.

Entries are written with Core inserts inside the same transaction as the change they describe, after a
row lock on the chain's head, so concurrent writers on PostgreSQL queue up and the chain stays linear.
The ORM refuses to update or delete an entry. A model opts out with `__audited__ = False`, hides secret
values with `__audit_redact__` and leaves bookkeeping columns' updates out with `__audit_ignore__`.
Changes made with bulk `update()`/`delete()` statements bypass the listener: services change
organisation data through the unit of work only.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import g, has_app_context, has_request_context
from sqlalchemy import JSON, CheckConstraint, Index, String, UniqueConstraint, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from auditkit.core.db import Base, utcnow

GENESIS = "0" * 64
SYSTEM_CHAIN = 0
REDACTED = "[redacted]"


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __audited__ = False
    __table_args__ = (
        UniqueConstraint("chain", "seq"),
        Index("ix_audit_entry_record", "table_name", "record_id"),
        CheckConstraint("action IN ('create', 'update', 'delete')", name="action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    chain: Mapped[int]  # the organisation's id, or 0; no foreign key: the trail outlives what it records
    seq: Mapped[int]
    at: Mapped[datetime]
    actor_user_id: Mapped[int | None]
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(10))
    table_name: Mapped[str] = mapped_column(String(100))
    record_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The last entry of each chain; its row lock serialises writers of one chain."""

    __tablename__ = "audit_chain_head"
    __audited__ = False

    chain: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))


def entry_hash(chain: int, seq: int, at: datetime, actor_user_id: int | None, actor_label: str,
               action: str, table_name: str, record_id: str, changes: dict, prev_hash: str) -> str:
    payload = [chain, seq, at.isoformat(), actor_user_id, actor_label, action, table_name, record_id,
               changes, prev_hash]
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def current_author() -> tuple[int | None, str]:
    """Who is changing data now: the request's actor or user, a CLI command's label, else "system"."""
    if has_app_context():
        actor = g.get("actor")
        if actor is not None:
            return actor.user_id, actor.label
        if g.get("audit_author"):
            return g.audit_author
        if has_request_context():
            from flask_login import current_user

            if current_user.is_authenticated:
                return current_user.id, current_user.email
    return None, "system"


def act_as(user_id: int | None, label: str) -> None:
    """Name the author of the changes made in this application context (CLI commands, seeders)."""
    g.audit_author = (user_id, label)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value, default=str))
    return str(value)


def _record_id(obj: Any) -> str:
    # The mapper's view, not the identity key: a new row's identity is only set after the flush.
    return ",".join(str(v) for v in inspect(obj).mapper.primary_key_from_instance(obj))


def _is_audited(obj: Any) -> bool:
    return getattr(type(obj), "__audited__", True)


def _chain_of(obj: Any) -> int:
    key = getattr(type(obj), "__tenant_key__", "organisation_id")
    return getattr(obj, key, None) or SYSTEM_CHAIN


def _changes(obj: Any, action: str) -> dict[str, list]:
    state = inspect(obj)
    redact = getattr(type(obj), "__audit_redact__", ())
    ignore = getattr(type(obj), "__audit_ignore__", ())
    changes: dict[str, list] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in ignore and action == "update":
            continue
        history = state.attrs[key].history
        if action == "create":
            old, new = None, getattr(obj, key)
        elif action == "delete":
            old = history.deleted[0] if history.deleted else getattr(obj, key)
            new = None
        else:
            if not history.has_changes():
                continue
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old == new:
                continue
        if old is None and new is None:
            continue
        if key in redact:
            old, new = (REDACTED if old is not None else None), (REDACTED if new is not None else None)
        changes[key] = [_jsonable(old), _jsonable(new)]
    return changes


def _pending_entries(session: Session) -> dict[int, list[tuple[str, str, str, dict]]]:
    pending: dict[int, list[tuple[str, str, str, dict]]] = defaultdict(list)
    for action, objects in (("create", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if not _is_audited(obj):
                continue
            if action == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _changes(obj, action)
            if action == "update" and not changes:
                continue
            pending[_chain_of(obj)].append((action, type(obj).__table__.name, _record_id(obj), changes))
    return pending


def _locked_head(connection, chain: int) -> tuple[int, str]:
    head = AuditChainHead.__table__
    dialect_insert = postgresql.insert if connection.dialect.name == "postgresql" else sqlite.insert
    connection.execute(
        dialect_insert(head).values(chain=chain, seq=0, hash=GENESIS).on_conflict_do_nothing()
    )
    row = connection.execute(select(head.c.seq, head.c.hash).where(head.c.chain == chain).with_for_update())
    return tuple(row.one())


def _after_flush(session: Session, _flush_context) -> None:
    pending = _pending_entries(session)
    if not pending:
        return
    connection = session.connection()
    user_id, label = current_author()
    entries, heads = AuditEntry.__table__, AuditChainHead.__table__
    for chain in sorted(pending):  # a fixed lock order keeps concurrent multi-chain writers deadlock-free
        seq, prev_hash = _locked_head(connection, chain)
        rows = []
        for action, table_name, record_id, changes in pending[chain]:
            seq += 1
            at = utcnow()
            digest = entry_hash(chain, seq, at, user_id, label, action, table_name, record_id, changes,
                                prev_hash)
            rows.append(dict(chain=chain, seq=seq, at=at, actor_user_id=user_id, actor_label=label,
                             action=action, table_name=table_name, record_id=record_id, changes=changes,
                             prev_hash=prev_hash, hash=digest))
            prev_hash = digest
        connection.execute(entries.insert(), rows)
        connection.execute(heads.update().where(heads.c.chain == chain).values(seq=seq, hash=prev_hash))


def _before_flush(session: Session, _flush_context, _instances) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEntry | AuditChainHead):
            raise PermissionError("the audit trail is append-only")


def register(session_class) -> None:
    from sqlalchemy import event

    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush)
        event.listen(session_class, "before_flush", _before_flush)


@dataclass(frozen=True)
class Break:
    chain: int
    seq: int
    entry_id: int | None
    reason: str


def verify_chain(session: Session, chain: int) -> Break | None:
    """The first place the chain is broken (an entry edited, deleted or inserted behind the app's back), or
    None when every entry's hash and link check out."""
    expected_seq, prev_hash = 1, GENESIS
    table = AuditEntry.__table__
    # Core rows, not ORM objects: what the database holds now, never a copy in the identity map.
    rows = session.execute(
        select(table).where(table.c.chain == chain).order_by(table.c.seq).execution_options(yield_per=1000)
    )
    for entry in rows:
        if entry.seq != expected_seq:
            return Break(chain, expected_seq, None, f"entry {expected_seq} is missing (deleted)")
        if entry.prev_hash != prev_hash:
            return Break(chain, entry.seq, entry.id, "does not link to the entry before it")
        digest = entry_hash(entry.chain, entry.seq, entry.at, entry.actor_user_id, entry.actor_label,
                            entry.action, entry.table_name, entry.record_id, entry.changes, entry.prev_hash)
        if digest != entry.hash:
            return Break(chain, entry.seq, entry.id, "its content does not match its hash (edited)")
        expected_seq, prev_hash = entry.seq + 1, entry.hash
    heads = AuditChainHead.__table__
    head = session.execute(select(heads.c.seq, heads.c.hash).where(heads.c.chain == chain)).one_or_none()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != prev_hash):
        return Break(chain, head.seq, None, f"the chain ends at entry {last_seq} but its head records "
                                            f"entry {head.seq} (entries deleted at the end)")
    return None


def chains(session: Session) -> list[int]:
    found = set(session.execute(select(AuditEntry.chain).distinct()).scalars())
    found |= set(session.execute(select(AuditChainHead.chain)).scalars())
    return sorted(found)


def history_for(session: Session, record: Any) -> Iterator[AuditEntry]:
    """A record's own entries, newest first."""
    return session.execute(
        select(AuditEntry)
        .where(AuditEntry.table_name == type(record).__table__.name,
               AuditEntry.record_id == _record_id(record),
               AuditEntry.chain == _chain_of(record))
        .order_by(AuditEntry.seq.desc())
    ).scalars()
