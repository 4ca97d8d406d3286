"""The shape of a demo corrective action's story (see demo_texts.py): the plans made for it, in rounds."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Round:
    tasks: tuple[str, ...]
    criteria: str = ""
    note: str = ""  # said on marking the plan implemented
    verdict: str = ""  # the verifier's comment on this round


@dataclass(frozen=True)
class Story:
    title: str
    problem: str
    clauses: tuple[str, ...]
    kind: str = "corrective"
    priority: str = "medium"
    category: str | None = None
    product: str | None = None
    complaint: str | None = None  # words of the source complaint's description
    containment: str = ""
    whys: tuple[str, ...] = ()  # the answers of a five-whys analysis...
    fishbone: dict[str, tuple[str, ...]] = field(default_factory=dict)  # ...or the causes on a fishbone
    root_cause: str = ""
    rounds: tuple[Round, ...] = ()
