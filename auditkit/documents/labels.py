"""What the register calls each kind of document. Features add their own kinds when they are imported
(`KIND_LABELS["gap_report"] = _l("Gap analysis report")`); a kind without a label is shown as it is stored."""

from __future__ import annotations

from typing import Any

KIND_LABELS: dict[str, Any] = {}


def kind_label(kind: str) -> str:
    return str(KIND_LABELS.get(kind, kind))
