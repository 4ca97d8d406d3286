"""Importing complaints from CSV or .xlsx: `service.import_complaints` (the rules of a whole import),
`tables` (reading files), `rules` (each row and the column mapping), `writing` (the fast batched inserts)."""

from auditkit.complaints.importing.rules import FIELDS, Problem, RowRules, default_mapping, resolve_mapping
from auditkit.complaints.importing.service import ImportReport, Progress, import_complaints
from auditkit.complaints.importing.tables import Table, UnreadableFile, open_table
from auditkit.complaints.references import reserve_block

__all__ = ["FIELDS", "ImportReport", "Problem", "Progress", "RowRules", "Table", "UnreadableFile", "default_mapping",
           "import_complaints", "open_table", "reserve_block", "resolve_mapping"]
