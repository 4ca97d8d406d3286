"""Helpers for tests of generated documents: a Word template built with python-docx, LibreOffice's PDF of a
document, and where the PDF's lines of text start."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tests.conftest import unavailable

SOFFICE_TIMEOUT = 120


def template_bytes(marker: str = "") -> bytes:
    """A small template: a heading with the title, the body (unaligned, left, centred and right), a picture
    paragraph and a table with one row per item of `rows`. `marker` is written in a paragraph of its own, to
    tell templates apart."""
    document = Document()
    document.add_heading("{{ title }}", level=1)
    document.add_paragraph("{{ body }}")
    for alignment in (WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT):
        document.add_paragraph("{{ body }}").alignment = alignment
    document.add_paragraph("{{ picture }}")
    if marker:
        document.add_paragraph(marker)
    table = document.add_table(rows=4, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "{{ name_label }}", "{{ value_label }}"
    table.cell(1, 0).text = "{%tr for row in rows %}"
    table.cell(2, 0).text, table.cell(2, 1).text = "{{ row.name }}", "{{ row.value }}"
    table.cell(3, 0).text = "{%tr endfor %}"
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def soffice() -> str:
    """LibreOffice's command; skips the test where it is not installed (fails under CI=true)."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        unavailable("LibreOffice (soffice) is not installed: the PDF check of generated documents needs it")
    return found


def to_pdf(docx_bytes: bytes, tmp_path: Path) -> bytes:
    """The document as LibreOffice prints it to PDF, with a profile of its own so parallel runs do not clash."""
    command = soffice()
    work = tmp_path / "lo"
    work.mkdir(parents=True, exist_ok=True)
    source = work / "document.docx"
    source.write_bytes(docx_bytes)
    try:
        done = subprocess.run(
            [command, f"-env:UserInstallation={(work / 'lo-profile').as_uri()}", "--headless", "--convert-to", "pdf",
             "--outdir", str(work), str(source)],
            capture_output=True, timeout=SOFFICE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice did not convert the document within {SOFFICE_TIMEOUT} s")
    target = work / "document.pdf"
    if done.returncode != 0 or not target.is_file():
        pytest.fail(f"LibreOffice could not convert the document (exit {done.returncode}): "
                    f"{done.stdout.decode(errors='replace')} {done.stderr.decode(errors='replace')}")
    return target.read_bytes()


_TEXT_OBJECT = re.compile(rb"\bBT\b(.*?)\bET\b", re.S)
_FIRST_POSITION = re.compile(rb"(-?[\d.]+) (-?[\d.]+) Td")


def line_starts(pdf: bytes) -> list[float]:
    """The x coordinates (points from the page's left edge) at which LibreOffice starts its lines of text: the
    first move of each text object, which is absolute (later ones are relative to it)."""
    starts = []
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            content = zlib.decompress(stream.group(1))
        except zlib.error:
            continue  # a font or an image
        for text in _TEXT_OBJECT.finditer(content):
            first = _FIRST_POSITION.search(text.group(1))
            if first:
                starts.append(float(first.group(1)))
    return starts
