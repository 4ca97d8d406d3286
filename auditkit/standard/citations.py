"""Records that cite a clause (findings, answers, actions...): each later feature registers a function
that lists its own records citing a clause, and the clause page shows them all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from auditkit.core.security import Actor


@dataclass(frozen=True)
class Citation:
    kind: str  # what the record is, translated ("Audit finding")
    label: str  # which record ("AUD-2026-03, finding 4")
    url: str


# feature → function(actor, clause_key) -> citations visible to that actor
CITATION_SOURCES: list[Callable[[Actor, str], list[Citation]]] = []


def citations_of(actor: Actor, clause_key: str) -> list[Citation]:
    return [citation for source in CITATION_SOURCES for citation in source(actor, clause_key)]
