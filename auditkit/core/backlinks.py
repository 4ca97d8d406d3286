"""Records that point at a record of another feature, shown on that record's page: a complaint's page lists
the corrective actions raised from it without the complaints feature knowing about actions. A feature lower
in the import order registers a provider for a record type; the page asks `for_record`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backlink:
    label: str  # the record, as its page names it: "ACT-2026-0003 Retrain the billing team"
    url: str
    status: str = ""  # its state, already translated
    group: str = ""  # what the linking records are: "Corrective actions"


Provider = Callable[[int, int], list[Backlink]]  # (organisation id, record id) -> backlinks
_PROVIDERS: dict[str, list[Provider]] = {}


def register(record_type: str, provider: Provider) -> None:
    if provider not in _PROVIDERS.setdefault(record_type, []):
        _PROVIDERS[record_type].append(provider)


def for_record(record_type: str, organisation_id: int, record_id: int) -> list[Backlink]:
    return [link for provider in _PROVIDERS.get(record_type, []) for link in provider(organisation_id, record_id)]
