"""Frameworks from CISO Assistant's library YAML (`objects.framework.requirement_nodes`): requirement nodes
become clauses, assessable nodes become questions, and both become documents in our format, validated and
imported like any other. Languages other than ours are left out; `zh` is read as Simplified Chinese and
`zh-TW`/`zh_Hant` as Traditional.

Refuses: a file that is not such a library (no framework, no requirement nodes), nodes without urn, and
parent urns that name no earlier node.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _

from auditkit.standard.formats import CHECKLIST_FORMAT, LIBRARY_FORMAT
from auditkit.standard.yaml_source import Problem

_LANGUAGES = {"en": "en", "fa": "fa", "zh": "zh_Hans", "zh-cn": "zh_Hans", "zh_hans": "zh_Hans",
              "zh-hans": "zh_Hans", "zh-tw": "zh_Hant", "zh_hant": "zh_Hant", "zh-hant": "zh_Hant"}


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.-]+", "-", text.lower()).strip("-.") or "node"


def _texts(node: dict, field: str, locale: str) -> dict[str, str] | None:
    texts = {}
    own = _LANGUAGES.get(locale.lower())
    if own and isinstance(node.get(field), str) and node[field].strip():
        texts[own] = node[field].strip()
    for language, values in (node.get("translations") or {}).items():
        code = _LANGUAGES.get(str(language).lower())
        if code and isinstance(values, dict) and isinstance(values.get(field), str) and values[field].strip():
            texts.setdefault(code, values[field].strip())
    return texts or None


def read_ciso_library(document: Any, file: str) -> tuple[dict | None, dict | None, list[Problem]]:
    """(library document, checklist document or None when no node is assessable, problems)."""
    framework = (document.get("objects") or {}).get("framework") if isinstance(document, dict) else None
    if not isinstance(framework, dict) or not isinstance(framework.get("requirement_nodes"), list):
        return None, None, [Problem(file, 1, "objects.framework.requirement_nodes",
                                    _("Not a CISO Assistant framework library: no requirement nodes."))]
    locale = str(document.get("locale") or "en")
    ref = framework.get("ref_id") or document.get("ref_id") or framework.get("urn", "framework")
    library_id = f"ciso:{_slug(str(ref))}"
    problems: list[Problem] = []
    ids: dict[str, str] = {}
    clauses, questions = [], []
    for index, node in enumerate(framework["requirement_nodes"]):
        line = getattr(framework["requirement_nodes"], "line_of", lambda _i: 1)(index)
        urn = node.get("urn") if isinstance(node, dict) else None
        if not urn:
            problems.append(Problem(file, line, f"requirement_nodes[{index}].urn", _("A node needs its urn.")))
            continue
        parent = node.get("parent_urn")
        if parent and parent not in ids:
            problems.append(Problem(file, line, f"requirement_nodes[{index}].parent_urn",
                                    _("%(parent)s is not a node listed earlier.", parent=parent)))
            continue
        number = str(node.get("ref_id") or urn.rsplit(":", 1)[-1])
        key = f"{library_id}:{_slug(number)}"
        while key in ids.values():
            key += "-"
        ids[urn] = key
        title = _texts(node, "name", locale) or _texts(node, "description", locale) or {"en": number}
        clause = {"id": key, "parent": ids.get(parent), "number": number, "kind": "section", "title": title}
        if guidance := _texts(node, "description", locale):
            clause["guidance"] = guidance
        clauses.append(clause)
        if node.get("assessable"):
            questions.append({"id": _slug(number), "clause": key,
                              "text": _texts(node, "description", locale) or title,
                              "importance": "essential", "weight": 1})
    title = _texts(framework, "name", locale) or {"en": str(ref)}
    library = {"format": LIBRARY_FORMAT,
               "library": {"id": library_id, "standard": str(ref)[:100], "edition": str(document.get("version", "1")),
                           "title": title},
               "clauses": clauses}
    checklist = None
    if questions:
        seen: set[str] = set()
        for question in questions:  # ref_ids may repeat across branches; question ids may not
            while question["id"] in seen:
                question["id"] += "-x"
            seen.add(question["id"])
        checklist = {"format": CHECKLIST_FORMAT,
                     "checklist": {"id": _slug(f"ciso-{ref}")[:100], "library": library_id, "kind": "custom",
                                   "title": title},
                     "questions": questions}
    return library, checklist, problems
