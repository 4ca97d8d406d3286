"""Reading an import file as rows of text cells: UTF-8 CSV (with or without BOM, comma or semicolon,
sniffed) or the first sheet of an .xlsx workbook, streamed."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, BinaryIO
from xml.etree.ElementTree import ParseError

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException


class UnreadableFile(Exception):
    pass



@dataclass
class Table:
    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    delimiter: str
    position: Callable[[], tuple[int, int]]  # (done, total) in bytes or rows: for a progress bar
    close: Callable[[], Any]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):  # Excel dates are naive: the organisation's local time
        return value.date().isoformat() if value.time() == time() and value.tzinfo is None else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _csv_table(source: BinaryIO) -> Table:
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    first_line = re.sub(r'"[^"]*"', "", source.read(65536).split(b"\n", 1)[0].decode("utf-8-sig", "ignore"))
    source.seek(0)
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    stream = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        header = next(reader, [])
    except (UnicodeDecodeError, csv.Error) as error:
        stream.detach()
        raise UnreadableFile(_("The file is neither an .xlsx workbook nor CSV text in UTF-8.")) from error

    def rows() -> Iterator[tuple[int, list[str]]]:
        start = reader.line_num + 1
        for record in reader:
            if (record and record[0].strip()) or "".join(record).strip():  # the first value, mostly, says enough
                yield start, record
            start = reader.line_num + 1

    return Table([h.strip() for h in header], rows(), delimiter, lambda: (source.tell(), size), stream.detach)


def _xlsx_table(source: BinaryIO) -> Table:
    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError, ParseError) as error:
        raise UnreadableFile(_("This is not a readable .xlsx workbook.")) from error
    if not workbook.worksheets:
        workbook.close()
        raise UnreadableFile(_("This is not a readable .xlsx workbook."))
    sheet = workbook["Complaints"] if "Complaints" in workbook.sheetnames else workbook.worksheets[0]
    total, seen = sheet.max_row or 0, [1]
    values = sheet.iter_rows(values_only=True)
    header = [_cell(v).strip() for v in next(values, ())]
    while header and not header[-1]:
        header.pop()

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, row in enumerate(values, start=2):
            seen[0] = line
            cells = [_cell(v) for v in row]
            if "".join(cells).strip():
                yield line, cells

    return Table(header, rows(), ",", lambda: (seen[0], total), workbook.close)


def open_table(source: BinaryIO) -> Table:
    """The file's header and a stream of its non-empty rows; the type is read from the content."""
    is_zip = source.read(4) == b"PK\x03\x04"
    source.seek(0)
    return _xlsx_table(source) if is_zip else _csv_table(source)
