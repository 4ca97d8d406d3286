"""Checklists as .xlsx: the template an organisation fills in, reading a filled workbook into a checklist
document (one row per question; problems name the sheet row and column), and writing any version back.
Export then import gives the same version: xlsx → database → xlsx loses nothing.

Refuses: a file that is not an .xlsx workbook (checked from its content, not its name), a workbook without
the Questions sheet or its header, rows with an unknown clause, importance or metric, or a weight out of
range — every problem at once, nothing imported.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from auditkit.core.i18n import LOCALES
from auditkit.standard.formats import CHECKLIST_FORMAT, IMPORTANCE, METHODS
from auditkit.standard.models import ChecklistVersion, Clause
from auditkit.standard.yaml_source import LineDict, LineList, Problem

QUESTIONS, CHECKLIST, CLAUSES = "Questions", "Checklist", "Clauses"
TEXT_FIELDS = ("question", "guidance", "evidence", "sample")
_DOC_FIELD = {"question": "text"}
HEADER = ["id", "clause", *[f"{f} ({code})" for f in TEXT_FIELDS for code in LOCALES],
          "importance", "weight", "metric", "method", "tags"]
META_KEYS = ["id", "library", "kind", *[f"title ({c})" for c in LOCALES], *[f"description ({c})" for c in LOCALES]]


class NotAWorkbook(Exception):
    pass


def is_xlsx(content: bytes) -> bool:
    return content[:4] == b"PK\x03\x04"


def _texts(row: dict[str, Any], field: str) -> dict[str, str] | None:
    texts = {code: str(row[f"{field} ({code})"]).strip() for code in LOCALES
             if row.get(f"{field} ({code})") not in (None, "") and str(row[f"{field} ({code})"]).strip()}
    return texts or None


def _cell(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def read_xlsx(content: bytes, file: str, clauses: list[Clause], library: str) -> tuple[dict | None, list[Problem]]:
    """A checklist document from a workbook, with the clauses of `library` to resolve the clause column
    (a clause number such as 7.4, or a full id)."""
    if not is_xlsx(content):
        return None, [Problem(file, 1, "", _("This is not an .xlsx workbook (whatever its name says)."))]
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        return None, [Problem(file, 1, "", _("The workbook is damaged or not an .xlsx file; save it again as "
                                             "Excel Workbook (.xlsx)."))]
    try:
        return _read(workbook, file, clauses, library)
    finally:
        workbook.close()


def _read(workbook, file, clauses, library):
    if QUESTIONS not in workbook.sheetnames:
        return None, [Problem(file, 1, "", _("The workbook has no sheet named “%(sheet)s”: start from the template.",
                                                  sheet=QUESTIONS))]
    rows = workbook[QUESTIONS].iter_rows(values_only=True)
    header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
    missing = [column for column in ("clause", "question (en)", "importance", "weight") if column not in header
               and not (column == "question (en)" and any(h.startswith("question (") for h in header))]
    unknown = [h for h in header if h and h not in HEADER]
    if missing or unknown:
        message = "; ".join(filter(None, [
            _("missing column(s): %(names)s", names=", ".join(missing)) if missing else "",
            _("unknown column(s): %(names)s", names=", ".join(unknown)) if unknown else ""]))
        return None, [Problem(f"{file}#{QUESTIONS}", 1, "",
                              _("The header row does not match the template: %(problems)s.", problems=message))]
    by_number = {}
    for clause in clauses:
        by_number.setdefault(clause.number, []).append(clause.key)
    keys = {clause.key for clause in clauses}
    problems: list[Problem] = []
    # Line-aware containers: the format check that follows reports each problem at its sheet row.
    questions = LineList()
    questions.line, questions.item_lines = 2, []
    where = f"{file}#{QUESTIONS}"
    for line, values in enumerate(rows, start=2):
        row = {name: _cell(value) for name, value in zip(header, values, strict=False) if name}
        if all(value in (None, "") for value in row.values()):
            continue
        question = LineDict({"id": str(row.get("id") or f"q-{len(questions) + 1:03d}")})
        question.line, question.key_lines = line, {}
        questions.item_lines.append(line)
        clause = str(row.get("clause") or "").strip()
        if clause in keys:
            question["clause"] = clause
        elif len(by_number.get(clause, [])) == 1:
            question["clause"] = by_number[clause][0]
        else:
            problems.append(Problem(where, line, "clause", _("%(clause)s is not a clause of %(library)s.",
                                                             clause=clause or "—", library=library)))
        for field in TEXT_FIELDS:
            texts = _texts(row, field)
            if texts:
                question[_DOC_FIELD.get(field, field)] = texts
        if "text" not in question:
            problems.append(Problem(where, line, "question", _("The question is empty.")))
        importance = str(row.get("importance") or "").strip().lower().replace(" ", "_")
        if importance not in IMPORTANCE:
            problems.append(Problem(where, line, "importance",
                                    _("Use one of: %(values)s.", values=", ".join(IMPORTANCE))))
        question["importance"] = importance
        weight = row.get("weight")
        try:
            question["weight"] = float(weight)
        except (TypeError, ValueError):
            problems.append(Problem(where, line, "weight", _("The weight must be a number above 0, at most 10.")))
        for optional in ("metric", "method"):
            if row.get(optional):
                question[optional] = str(row[optional]).strip()
        if row.get("tags"):
            question["tags"] = [t.strip() for t in str(row["tags"]).split(",") if t.strip()]
        questions.append(question)
    if not questions and not problems:
        problems.append(Problem(where, 2, "", _("The sheet has no questions.")))
    document = {"format": CHECKLIST_FORMAT, "checklist": _meta(workbook, library), "questions": questions}
    return document, problems


def _meta(workbook, library: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if CHECKLIST in workbook.sheetnames:
        for row in workbook[CHECKLIST].iter_rows(values_only=True):
            if row and row[0] is not None and len(row) > 1 and row[1] not in (None, ""):
                values[str(row[0]).strip()] = str(row[1]).strip()
    meta: dict[str, Any] = {"id": values.get("id", "imported-checklist"), "library": values.get("library", library),
                            "kind": values.get("kind", "custom"),
                            "title": _texts(values, "title") or {"en": values.get("id", "Imported checklist")}}
    if description := _texts(values, "description"):
        meta["description"] = description
    return meta


def _workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def _style_header(sheet) -> None:
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F5")
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = "A2"


def _questions_sheet(workbook: Workbook, rows: list[list[Any]]) -> None:
    sheet = workbook.create_sheet(QUESTIONS)
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    _style_header(sheet)
    for index, name in enumerate(HEADER, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = 50 if "(" in name else 14
    last = max(len(rows) + 1, 500)
    for column, choices in (("importance", IMPORTANCE), ("method", METHODS)):
        letter = sheet.cell(row=1, column=HEADER.index(column) + 1).column_letter
        validation = DataValidation(type="list", formula1='"' + ",".join(choices) + '"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{last}")
        sheet.add_data_validation(validation)


def _clauses_sheet(workbook: Workbook, clauses: list[Clause]) -> None:
    sheet = workbook.create_sheet(CLAUSES)
    sheet.append(["number", "id", *[f"title ({c})" for c in LOCALES]])
    for clause in clauses:
        sheet.append([clause.number, clause.key, *[clause.title.get(c, "") for c in LOCALES]])
    _style_header(sheet)


def _meta_sheet(workbook: Workbook, meta: dict[str, Any]) -> None:
    sheet = workbook.create_sheet(CHECKLIST, 0)
    sheet.append(["key", "value"])
    for key in META_KEYS:
        field, _, code = key.partition(" (")
        value = meta.get(field) if not code else (meta.get(field) or {}).get(code.rstrip(")"))
        sheet.append([key, value])
    _style_header(sheet)
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 80


def template_xlsx(clauses: list[Clause], library: str) -> bytes:
    """An empty checklist workbook: a Checklist sheet for its id and title, the Questions sheet with the
    template's header and drop-downs, and the library's clauses for reference."""
    workbook = _workbook()
    _meta_sheet(workbook, {"id": "my-checklist", "library": library, "kind": "custom",
                           "title": {"en": "My checklist"}})
    _questions_sheet(workbook, [])
    _clauses_sheet(workbook, clauses)
    return _save(workbook)


def export_xlsx(version: ChecklistVersion) -> bytes:
    checklist = version.checklist
    numbers = {clause.key: clause.number for clause in version.framework_version.clauses}
    rows = []
    for q in version.questions:
        texts = {"question": q.text, "guidance": q.guidance, "evidence": q.evidence, "sample": q.sample}
        rows.append([q.key, numbers.get(q.clause_key, q.clause_key),
                     *[(texts[f] or {}).get(code) for f in TEXT_FIELDS for code in LOCALES],
                     q.importance, q.weight, q.metric, q.method, ", ".join(q.tags or []) or None])
    workbook = _workbook()
    _meta_sheet(workbook, {"id": checklist.key, "library": checklist.framework.key, "kind": checklist.kind,
                           "title": version.title, "description": version.description})
    _questions_sheet(workbook, rows)
    _clauses_sheet(workbook, version.framework_version.clauses)
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
