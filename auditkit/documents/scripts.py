"""Writing systems in a rendered Word document: right to left for Persian, East Asian fonts for Chinese, and
the document's language, applied to the WordprocessingML after the template was filled.

Persian: every paragraph (body, tables, headers, footers) gets `<w:bidi/>`, every run `<w:rtl/>` and a complex
script font with Persian glyphs, every table `<w:bidiVisual/>` (its first column on the right), and the styles'
bold, italic and size are copied to their complex-script twins (Word formats right-to-left runs with
`w:bCs`/`w:iCs`/`w:szCs` only). Alignment is left as the template has it: in a `w:bidi` paragraph Word and
LibreOffice read `w:jc` "left"/"right" as the start/end of the line, so a left-aligned (or unaligned) English
paragraph becomes a right-aligned Persian one by itself, a right-aligned one moves to the left edge (the layout
is mirrored) and a centred one stays centred. Writing "right" would put the text on the left edge.

Chinese: the East Asian font of the document defaults and of the styles. Every language: `w:lang` in the
document defaults, so spelling and hyphenation follow the document's language. Theme fonts are replaced
where a font is set: a theme attribute (`w:cstheme`, `w:eastAsiaTheme`) wins over the explicit name.
"""

from __future__ import annotations

from dataclasses import dataclass

from docx.document import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree

PERSIAN_FONT = "Vazirmatn"


@dataclass(frozen=True)
class Script:
    rtl: bool = False
    cs_font: str | None = None  # complex script (Persian) font
    east_asia_font: str | None = None
    lang: dict[str, str] | None = None  # w:lang attributes: val, bidi, eastAsia


SCRIPTS: dict[str, Script] = {
    "en": Script(),
    "fa": Script(rtl=True, cs_font=PERSIAN_FONT, lang={"val": "fa-IR", "bidi": "fa-IR"}),
    "zh_Hans": Script(east_asia_font="Noto Sans CJK SC", lang={"val": "zh-CN", "eastAsia": "zh-CN"}),
    "zh_Hant": Script(east_asia_font="Noto Sans CJK TC", lang={"val": "zh-TW", "eastAsia": "zh-TW"}),
}

# Schema order of the children this module inserts (ECMA-376 CT_PPr, CT_RPr, CT_TblPr), abridged to the
# elements that can follow them: a child goes before the first sibling that comes later in its sequence.
_PPR = ("pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
        "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
        "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd", "snapToGrid",
        "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc", "textDirection",
        "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle", "rPr", "sectPr", "pPrChange")
_RPR = ("rStyle", "rFonts", "b", "bCs", "i", "iCs", "caps", "smallCaps", "strike", "dstrike", "outline", "shadow",
        "emboss", "imprint", "noProof", "snapToGrid", "vanish", "webHidden", "color", "spacing", "w", "kern",
        "position", "sz", "szCs", "highlight", "u", "effect", "bdr", "shd", "fitText", "vertAlign", "rtl", "cs",
        "em", "lang", "eastAsianLayout", "specVanish", "oMath", "rPrChange")
_TBLPR = ("tblStyle", "tblpPr", "tblOverlap", "bidiVisual", "tblStyleRowBandSize", "tblStyleColBandSize", "tblW",
          "jc", "tblCellSpacing", "tblInd", "tblBorders", "shd", "tblLayout", "tblCellMar", "tblLook",
          "tblCaption", "tblDescription", "tblPrChange")
_COMPLEX_TWINS = (("b", "bCs"), ("i", "iCs"), ("sz", "szCs"))


def apply(document: Document, locale: str) -> None:
    """Set the document up for `locale`'s script, in place."""
    script = SCRIPTS[locale]
    styles = document.styles.element
    defaults = _default_run_properties(styles)
    if script.lang:
        lang = _child(defaults, "lang", _RPR)
        for name, value in script.lang.items():
            lang.set(qn(f"w:{name}"), value)
    if script.east_asia_font:
        for rpr in (defaults, *styles.iterfind(f"{qn('w:style')}/{qn('w:rPr')}")):
            _set_font(rpr, "eastAsia", script.east_asia_font, always=rpr is defaults)
    if script.rtl:
        _set_font(defaults, "cs", script.cs_font, always=True)
        for rpr in (defaults, *styles.iterfind(f"{qn('w:style')}/{qn('w:rPr')}")):
            _set_font(rpr, "cs", script.cs_font, always=False)
            _copy_to_complex_twins(rpr)
        for root in _story_roots(document):
            _right_to_left(root, script.cs_font)


def _right_to_left(root: etree._Element, font: str) -> None:
    for paragraph in root.iter(qn("w:p")):
        ppr = _first_child(paragraph, "pPr")
        bidi = _child(ppr, "bidi", _PPR)
        bidi.attrib.pop(qn("w:val"), None)  # <w:bidi w:val="0"/> turns it off
    for run in root.iter(qn("w:r")):
        rpr = _first_child(run, "rPr")
        rtl = _child(rpr, "rtl", _RPR)
        rtl.attrib.pop(qn("w:val"), None)
        fonts = _set_font(rpr, "cs", font, always=True)
        fonts.set(qn("w:hint"), "cs")
        _copy_to_complex_twins(rpr)
    for table in root.iter(qn("w:tbl")):
        tblpr = _first_child(table, "tblPr")
        _child(tblpr, "bidiVisual", _TBLPR).attrib.pop(qn("w:val"), None)


def _story_roots(document: Document) -> list[etree._Element]:
    """The body and every header and footer (each once, however many sections share it)."""
    roots = [document.element.body]
    for rel in document.part.rels.values():
        if rel.reltype in (RT.HEADER, RT.FOOTER) and not rel.is_external:
            roots.append(rel.target_part.element)
    return roots


def _default_run_properties(styles: etree._Element) -> etree._Element:
    doc_defaults = styles.find(qn("w:docDefaults"))
    if doc_defaults is None:
        doc_defaults = OxmlElement("w:docDefaults")
        styles.insert(0, doc_defaults)
    rpr_default = doc_defaults.find(qn("w:rPrDefault"))
    if rpr_default is None:
        rpr_default = OxmlElement("w:rPrDefault")
        doc_defaults.insert(0, rpr_default)
    return _first_child(rpr_default, "rPr")


def _set_font(rpr: etree._Element, slot: str, font: str, *, always: bool) -> etree._Element | None:
    """Name `font` in the `slot` of rPr's rFonts (dropping the theme font that would win over it); unless
    `always`, only where the rFonts already names a font or theme for that slot."""
    fonts = rpr.find(qn("w:rFonts"))
    theme = qn("w:cstheme") if slot == "cs" else qn(f"w:{slot}Theme")
    if not always and (fonts is None or (fonts.get(qn(f"w:{slot}")) is None and fonts.get(theme) is None)):
        return fonts
    fonts = fonts if fonts is not None else _child(rpr, "rFonts", _RPR)
    fonts.attrib.pop(theme, None)
    fonts.set(qn(f"w:{slot}"), font)
    return fonts


def _copy_to_complex_twins(rpr: etree._Element) -> None:
    for plain, twin in _COMPLEX_TWINS:
        source = rpr.find(qn(f"w:{plain}"))
        if source is not None and rpr.find(qn(f"w:{twin}")) is None:
            copy = _child(rpr, twin, _RPR)
            for name, value in source.attrib.items():
                copy.set(name, value)


def _first_child(parent: etree._Element, name: str) -> etree._Element:
    """The properties element that must be the parent's first child (pPr, rPr, tblPr), made if missing."""
    found = parent.find(qn(f"w:{name}"))
    if found is None:
        found = OxmlElement(f"w:{name}")
        parent.insert(0, found)
    return found


def _child(parent: etree._Element, name: str, order: tuple[str, ...]) -> etree._Element:
    """The parent's `name` child, made if missing and put in its place in the schema's sequence."""
    found = parent.find(qn(f"w:{name}"))
    if found is not None:
        return found
    element = OxmlElement(f"w:{name}")
    later = {qn(f"w:{tag}") for tag in order[order.index(name) + 1:]}
    for index, sibling in enumerate(parent):
        if sibling.tag in later:
            parent.insert(index, element)
            return element
    parent.append(element)
    return element
