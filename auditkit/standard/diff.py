"""What changed between two versions of a checklist: questions added, retired and changed (with the
fields that changed), and changes to its title and description."""

from __future__ import annotations

from dataclasses import dataclass, field

from auditkit.standard.models import ChecklistVersion, Question

COMPARED = ("clause_key", "text", "guidance", "evidence", "importance", "weight", "metric", "method", "sample",
            "tags")


@dataclass
class Changed:
    before: Question
    after: Question
    fields: list[str]


@dataclass
class Diff:
    old: ChecklistVersion
    new: ChecklistVersion
    added: list[Question] = field(default_factory=list)
    removed: list[Question] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    header: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.header)


def diff_versions(old: ChecklistVersion, new: ChecklistVersion) -> Diff:
    before = {q.key: q for q in old.questions}
    after = {q.key: q for q in new.questions}
    diff = Diff(old, new)
    diff.added = [q for key, q in after.items() if key not in before]
    diff.removed = [q for key, q in before.items() if key not in after]
    for key, question in after.items():
        if key in before:
            fields = [name for name in COMPARED
                      if (getattr(before[key], name) or None) != (getattr(question, name) or None)]
            if fields:
                diff.changed.append(Changed(before[key], question, fields))
    diff.header = [name for name in ("title", "description") if getattr(old, name) != getattr(new, name)]
    return diff
