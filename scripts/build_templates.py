"""Builds the shipped Word templates in templates/ with python-docx: the layout (A4, styles, cover page,
tables with one row per item, picture paragraphs) and the docxtpl tags that fill it.

    .venv/bin/python scripts/build_templates.py

Every word a reader sees comes from the context (`w.*`, translated in Python), never from the template: one
template serves every language, and AuditKit turns its paragraphs right to left for Persian after filling it.
The template may be edited in Word afterwards (styles, colours, fonts, a logo); keep each tag inside one run
(retype a tag rather than editing half of it) and keep `{%p ...%}` and `{%tr ...%}` tags alone in their
paragraph or row. The output is byte-for-byte reproducible (fixed document properties and zip times), so a
rebuild that changes nothing shows no difference in git.

Tags used by gap-analysis-report.docx (the context is built by auditkit/assessments/documents.py):
  w.*                      the words: headings, column names, labels
  header, footer           the running header and footer (the cover page has neither)
  draft, draft_mark        whether the assessment is not final yet, and the line saying so
  organisation, title, cover[label, value]
  scope, checklist, method[], window
  scale[value, name, definition]
  summary{overall, target, change, answered}, sections[...], gaps[...], follow_up
  charts{radar, clauses[], heat[], change[]}  pictures; the charts by clause in parts (change: a follow-up's)
  clauses[number, title, questions, answered, not_applicable, score, target, gap, baseline, change]
  findings[label, answers[key, text, rating, justification, notes, gap, recommendation, priority]]
  roadmap[reference, title, priority, owner, due_on, status, question]
  figures[question, metric, value, window], files[question, name, size, sha256]
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
FIXED_TIME = datetime(2026, 1, 1)  # noqa: DTZ001 - document properties carry no time zone
ZIP_TIME = (2026, 1, 1, 0, 0, 0)
TEXT_WIDTH = 170  # mm: A4 less 20 mm margins
ACCENT = RGBColor(0x1F, 0x3A, 0x5F)
MUTED = RGBColor(0x6C, 0x75, 0x7D)
DRAFT = RGBColor(0xC0, 0x1E, 0x2E)
HEADER_FILL = "DCE3EC"


# -- styles -----------------------------------------------------------------------------------------------

def _styles(document) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name, normal.font.size = "Calibri", Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    for name, size, before, after in (("Heading 1", 16, 0, 10), ("Heading 2", 12, 12, 4), ("Title", 28, 0, 6),
                                      ("Subtitle", 16, 0, 4)):
        style = styles[name]
        style.font.name, style.font.size, style.font.color.rgb = "Calibri", Pt(size), ACCENT
        style.font.bold = name != "Subtitle"
        style.paragraph_format.space_before, style.paragraph_format.space_after = Pt(before), Pt(after)
    styles["Heading 1"].paragraph_format.page_break_before = True  # each part of the report starts a page
    styles["Heading 2"].paragraph_format.keep_with_next = True
    _paragraph_style(styles, "Table Text", size=8.5, after=0)
    _paragraph_style(styles, "Table Heading", size=8, after=0, bold=True, keep_with_next=True)
    _paragraph_style(styles, "Cover Text", size=10.5, after=2)
    _paragraph_style(styles, "Draft Mark", size=18, after=12, bold=True, colour=DRAFT)
    _paragraph_style(styles, "Key Figure", size=14, after=4, bold=True, colour=ACCENT)
    _paragraph_style(styles, "Picture", size=10, after=12, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph_style(styles, "Small Print", size=8, after=0, colour=MUTED)
    for name in ("Header", "Footer"):
        styles[name].font.size, styles[name].font.color.rgb = Pt(8), MUTED


def _paragraph_style(styles, name: str, *, size: float, after: float, bold: bool = False, colour=None,
                     align=None, keep_with_next: bool = False) -> None:
    style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles["Normal"]
    style.font.size, style.font.bold = Pt(size), bold
    if colour is not None:
        style.font.color.rgb = colour
    style.paragraph_format.space_after = Pt(after)
    style.paragraph_format.keep_with_next = keep_with_next
    if align is not None:
        style.paragraph_format.alignment = align


# -- building blocks ----------------------------------------------------------------------------------------

def para(container, text: str = "", style: str | None = None, *, align=None, bold: bool | None = None):
    paragraph = container.add_paragraph(style=style)
    if text:
        paragraph.add_run(text).bold = bold
    if align is not None:
        paragraph.alignment = align
    return paragraph


def labelled(container, label: str, value: str, style: str | None = None):
    """A paragraph "Label: value" with the label in bold, each tag in a run of its own."""
    paragraph = container.add_paragraph(style=style)
    paragraph.add_run(f"{label}: ").bold = True
    paragraph.add_run(value)
    return paragraph


def tag(container, text: str, style: str | None = None):
    """A paragraph holding only a docxtpl paragraph tag ({%p ... %}): it disappears when filled."""
    return para(container, text, style)


def _cell_fill(cell, fill: str) -> None:
    properties = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)


def _cell_margins(table, mm: float = 1.2) -> None:
    """Narrower cell padding than Word's 1.9 mm, so short column names fit on one line."""
    properties = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(int(Mm(mm).twips)))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)


def _rules_only(table, colour: str = "C8D0D9") -> None:
    """Horizontal rules between the rows, no vertical lines (the cover's table)."""
    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{side}")
        ruled = side in ("top", "bottom", "insideH")
        border.set(qn("w:val"), "single" if ruled else "nil")
        if ruled:
            border.set(qn("w:sz"), "4")
            border.set(qn("w:space"), "0")
            border.set(qn("w:color"), colour)
        borders.append(border)
    properties.append(borders)


def _repeat_as_header(row) -> None:
    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    properties.append(header)


def _cant_split(row) -> None:
    properties = row._tr.get_or_add_trPr()
    properties.append(OxmlElement("w:cantSplit"))


def _set_text(cell, text: str, style: str, align=None, bold: bool | None = None) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.style = style
    if text:
        paragraph.add_run(text).bold = bold
    if align is not None:
        paragraph.alignment = align


def loop_table(container, headers: list[str], cells: list[str | list[str]], widths: list[float], loop: str,
               *, centred: tuple[int, ...] = (), style: str | None = "Table Grid", header: bool = True,
               text_style: str = "Table Text"):
    """A table with a header row (repeated on every page) and one row per item of `loop`
    ("row in rows"): the docxtpl row tags around a row of `cells`. A cell given as a list gets one paragraph
    per entry (an entry may be a {%p %} tag)."""
    rows = (1 if header else 0) + 3
    table = container.add_table(rows=rows, cols=len(widths))
    if style is not None:
        table.style = style
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_margins(table)
    grid = table._tbl.tblGrid
    for column, width in zip(grid.iterfind(qn("w:gridCol")), widths, strict=True):
        column.set(qn("w:w"), str(int(Mm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
    first = 0
    if header:
        _repeat_as_header(table.rows[0])
        for index, (cell, text) in enumerate(zip(table.rows[0].cells, headers, strict=True)):
            _set_text(cell, text, "Table Heading", WD_ALIGN_PARAGRAPH.CENTER if index in centred else None)
            _cell_fill(cell, HEADER_FILL)
        first = 1
    _set_text(table.rows[first].cells[0], f"{{%tr for {loop} %}}", text_style)
    body = table.rows[first + 1]
    _cant_split(body)
    for index, (cell, content) in enumerate(zip(body.cells, cells, strict=True)):
        align = WD_ALIGN_PARAGRAPH.CENTER if index in centred else None
        entries = content if isinstance(content, list) else [content]
        _set_text(cell, entries[0], text_style, align)
        for entry in entries[1:]:
            if isinstance(entry, tuple):  # (label, value): "Label: value" with the label in bold
                labelled(cell, *entry, style=text_style)
            else:
                para(cell, entry, text_style, align=align)
    _set_text(table.rows[first + 2].cells[0], "{%tr endfor %}", text_style)
    return table


def key_value_table(container, loop: str, widths: tuple[float, float]):
    """Two columns without a header, ruled between the rows: a bold label and its value, one row per item of
    `loop`."""
    table = loop_table(container, [], ["{{ row.label }}", "{{ row.value }}"], list(widths), loop, header=False,
                       style=None, text_style="Cover Text")
    _rules_only(table)
    return table


def _bold_first_column(table) -> None:
    for paragraph in table.columns[0].cells[1].paragraphs:
        for run in paragraph.runs:
            run.bold = True


def page_number_field(paragraph) -> None:
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        if kind is not None:
            char = OxmlElement("w:fldChar")
            char.set(qn("w:fldCharType"), kind)
            run._r.append(char)
        elif text.strip() == "PAGE":
            instruction = OxmlElement("w:instrText")
            instruction.set(qn("xml:space"), "preserve")
            instruction.text = text
            run._r.append(instruction)
        else:
            shown = OxmlElement("w:t")
            shown.text = text
            run._r.append(shown)


def follow_up_variants(container, build) -> None:
    """A block twice: with the baseline columns for a follow-up, without them for a baseline."""
    tag(container, "{%p if follow_up %}")
    build(container, True)
    tag(container, "{%p else %}")
    build(container, False)
    tag(container, "{%p endif %}")


# -- the gap-analysis report --------------------------------------------------------------------------------

def _page_setup(document) -> None:
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(20))
    section.header_distance = section.footer_distance = Mm(10)
    section.different_first_page_header_footer = True  # the cover carries neither
    header = section.header.paragraphs[0]
    header.style, header.alignment = "Header", WD_ALIGN_PARAGRAPH.RIGHT
    header.add_run("{{ header }}")
    footer = section.footer.paragraphs[0]
    footer.style, footer.alignment = "Footer", WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("{{ footer }} · ")
    page_number_field(footer)


def _cover(document) -> None:
    spacer = para(document)
    spacer.paragraph_format.space_before = Pt(90)
    para(document, "{{ w.report_title }}", "Title")
    tag(document, "{%p if draft %}")
    para(document, "{{ draft_mark }}", "Draft Mark")
    tag(document, "{%p endif %}")
    para(document, "{{ organisation }}", "Subtitle")
    title = para(document, "{{ title }}", "Key Figure")
    title.paragraph_format.space_after = Pt(36)
    table = key_value_table(document, "row in cover", (50, 120))
    _bold_first_column(table)
    para(document, "{{ cover_note }}", "Small Print").paragraph_format.space_before = Pt(36)


def _scope_and_method(document) -> None:
    para(document, "{{ w.scope_and_method }}", "Heading 1")
    para(document, "{{ w.scope }}", "Heading 2")
    para(document, "{{ scope }}")
    para(document, "{{ w.checklist }}", "Heading 2")
    para(document, "{{ checklist }}")
    para(document, "{{ w.method }}", "Heading 2")
    tag(document, "{%p for line in method %}")
    para(document, "{{ line }}")
    tag(document, "{%p endfor %}")
    para(document, "{{ w.evidence_window }}", "Heading 2")
    para(document, "{{ window }}")


def _scale(document) -> None:
    para(document, "{{ w.scale }}", "Heading 2")
    para(document, "{{ w.scale_intro }}")
    loop_table(document, ["{{ w.level }}", "{{ w.level_name }}", "{{ w.definition }}"],
               ["{{ level.value }}", "{{ level.name }}", "{{ level.definition }}"], [16, 44, 110],
               "level in scale", centred=(0,))


def _summary(document) -> None:
    para(document, "{{ w.summary }}", "Heading 1")
    para(document, "{{ summary.overall }}", "Key Figure")
    para(document, "{{ summary.target }}")
    tag(document, "{%p if summary.change %}")
    para(document, "{{ summary.change }}", bold=True)
    tag(document, "{%p endif %}")
    para(document, "{{ summary.answered }}")
    para(document, "{{ w.by_section }}", "Heading 2")

    def sections(container, follow_up: bool) -> None:
        headers = ["{{ w.section }}", "{{ w.score }}", "{{ w.percent }}", "{{ w.gap }}"]
        cells = ["{{ s.label }}", "{{ s.score }}", "{{ s.percent }}", "{{ s.gap }}"]
        widths = [82, 22, 22, 22]
        if follow_up:
            headers += ["{{ w.baseline }}", "{{ w.change }}"]
            cells += ["{{ s.baseline }}", "{{ s.change }}"]
            widths = [70, 20, 20, 20, 20, 20]
        loop_table(container, headers, cells, widths, "s in sections", centred=tuple(range(1, len(widths))))

    follow_up_variants(document, sections)
    para(document, "{{ w.largest_gaps }}", "Heading 2")
    tag(document, "{%p if gaps %}")
    loop_table(document, ["{{ w.clause }}", "{{ w.score }}", "{{ w.target }}", "{{ w.gap }}"],
               ["{{ g.label }}", "{{ g.score }}", "{{ g.target }}", "{{ g.gap }}"], [104, 22, 22, 22],
               "g in gaps", centred=(1, 2, 3))
    tag(document, "{%p else %}")
    para(document, "{{ w.no_gaps }}")
    tag(document, "{%p endif %}")


def _charts(document) -> None:
    para(document, "{{ w.charts }}", "Heading 1")
    para(document, "{{ charts.radar }}", "Picture")
    # A chart with a row per clause comes in parts (groups of sections), each the text's width: whole, it would
    # be shrunk to fit the page's height and its words would be too small to read. They flow from page to page.
    for name in ("clauses", "heat", "change"):
        tag(document, f"{{%p for part in charts.{name} %}}")
        para(document, "{{ part }}", "Picture")
        tag(document, "{%p endfor %}")


def _clause_table(document) -> None:
    para(document, "{{ w.clause_scores }}", "Heading 1")
    para(document, "{{ w.clause_scores_intro }}")

    def clauses(container, follow_up: bool) -> None:
        headers = ["{{ w.clause }}", "{{ w.questions }}", "{{ w.answered }}", "{{ w.not_applicable_short }}",
                   "{{ w.score }}", "{{ w.target }}", "{{ w.gap }}"]
        cells = ["{{ c.number }} {{ c.title }}", "{{ c.questions }}", "{{ c.answered }}",
                 "{{ c.not_applicable }}", "{{ c.score }}", "{{ c.target }}", "{{ c.gap }}"]
        widths = [66, 19, 19, 12, 16, 16, 22]
        if follow_up:
            headers += ["{{ w.baseline }}", "{{ w.change }}"]
            cells += ["{{ c.baseline }}", "{{ c.change }}"]
            widths = [46, 19, 19, 10, 13, 14, 12, 18, 19]
        loop_table(container, headers, cells, widths, "c in clauses", centred=tuple(range(1, len(widths))))

    follow_up_variants(document, clauses)


def _findings(document) -> None:
    para(document, "{{ w.findings }}", "Heading 1")
    para(document, "{{ w.findings_intro }}")
    tag(document, "{%p for clause in findings %}")
    para(document, "{{ clause.label }}", "Heading 2")
    assessment = ["{{ item.rating }}",
                  "{%p if item.justification %}", ("{{ w.justification }}", "{{ item.justification }}"),
                  "{%p endif %}",
                  "{%p if item.notes %}", ("{{ w.notes }}", "{{ item.notes }}"), "{%p endif %}",
                  "{%p if item.gap %}", ("{{ w.gap_statement }}", "{{ item.gap }}"), "{%p endif %}",
                  "{%p if item.recommendation %}", ("{{ w.recommendation }}", "{{ item.recommendation }}"),
                  "{%p endif %}",
                  "{%p if item.priority %}", ("{{ w.priority }}", "{{ item.priority }}"), "{%p endif %}"]
    table = loop_table(document, ["{{ w.question }}", "{{ w.assessment }}"],
                       [["{{ item.key }}", "{{ item.text }}"], assessment], [70, 100], "item in clause.answers")
    body = table.rows[2]
    body.cells[0].paragraphs[0].runs[0].bold = True
    body.cells[1].paragraphs[0].runs[0].bold = True
    tag(document, "{%p endfor %}")


def _roadmap(document) -> None:
    para(document, "{{ w.roadmap }}", "Heading 1")
    para(document, "{{ w.roadmap_intro }}")
    tag(document, "{%p if roadmap %}")
    loop_table(document, ["{{ w.reference }}", "{{ w.action }}", "{{ w.priority }}", "{{ w.owner }}",
                          "{{ w.due_on }}", "{{ w.status }}", "{{ w.question }}"],
               ["{{ a.reference }}", "{{ a.title }}", "{{ a.priority }}", "{{ a.owner }}", "{{ a.due_on }}",
                "{{ a.status }}", "{{ a.question }}"], [25, 45, 17, 24, 20, 20, 19], "a in roadmap",
               centred=(2, 4))
    tag(document, "{%p else %}")
    para(document, "{{ w.no_actions }}")
    tag(document, "{%p endif %}")


def _appendix(document) -> None:
    para(document, "{{ w.appendix }}", "Heading 1")
    para(document, "{{ w.live_figures }}", "Heading 2")
    para(document, "{{ w.live_figures_intro }}")
    tag(document, "{%p if figures %}")
    loop_table(document, ["{{ w.question }}", "{{ w.figure }}", "{{ w.value }}", "{{ w.window }}"],
               ["{{ f.question }}", "{{ f.metric }}", "{{ f.value }}", "{{ f.window }}"], [20, 50, 52, 48],
               "f in figures")
    tag(document, "{%p else %}")
    para(document, "{{ w.no_figures }}")
    tag(document, "{%p endif %}")
    para(document, "{{ w.evidence_files }}", "Heading 2")
    para(document, "{{ w.evidence_files_intro }}")
    tag(document, "{%p if files %}")
    table = loop_table(document, ["{{ w.question }}", "{{ w.file }}", "{{ w.size }}", "{{ w.sha256 }}"],
                       ["{{ f.question }}", "{{ f.name }}", "{{ f.size }}", "{{ f.sha256 }}"], [22, 50, 18, 80],
                       "f in files", centred=(2,))
    for run in table.rows[2].cells[3].paragraphs[0].runs:
        run.font.name, run.font.size = "Courier New", Pt(7)
    tag(document, "{%p else %}")
    para(document, "{{ w.no_files }}")
    tag(document, "{%p endif %}")
    para(document, "{{ generated_note }}", "Small Print").paragraph_format.space_before = Pt(24)


def gap_analysis_report() -> Document:
    document = Document()
    _styles(document)
    _page_setup(document)
    _cover(document)
    _scope_and_method(document)
    _scale(document)
    _summary(document)
    _charts(document)
    _clause_table(document)
    _findings(document)
    _roadmap(document)
    _appendix(document)
    properties = document.core_properties
    properties.author = properties.last_modified_by = "AuditKit"
    properties.title, properties.revision = "Gap analysis report", 1
    properties.created = properties.modified = properties.last_printed = FIXED_TIME
    return document


def reproducible(document: Document) -> bytes:
    """The saved document with every zip entry dated the same, so an unchanged template rebuilds identically."""
    saved = io.BytesIO()
    document.save(saved)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            entry = zipfile.ZipInfo(item.filename, ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, source.read(item.filename))
    return out.getvalue()


BUILDERS = {"gap-analysis-report.docx": gap_analysis_report}


def main() -> None:
    TEMPLATES.mkdir(exist_ok=True)
    for name, build in BUILDERS.items():
        path = TEMPLATES / name
        path.write_bytes(reproducible(build()))
        print(f"wrote {path.relative_to(TEMPLATES.parent)}")


if __name__ == "__main__":
    main()
