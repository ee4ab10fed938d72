"""Low-level OOXML for the DOCX renderer (docx.py): schema-ordered elements, run formats that
name the official faces, the font table, and the footers with the page number and the QR code.
May import: nothing outside ``documents``.
"""

from __future__ import annotations

import io
from copy import deepcopy
from typing import Any

from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt

from .fonts import Face, pieces
from .layout import GEOMETRY
from .qr import qr_png

G = GEOMETRY

# Schema order of the children we touch (Word rejects out-of-order elements).
RPR_ORDER = "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath".split()
TBLPR_ORDER = "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook".split()
PPR_ORDER = "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange".split()


def put(parent: Any, tag: str, order: list[str], **attrs: str) -> Any:
    """Replace ``parent``'s ``w:tag`` child with a new one, inserted in schema order."""
    for old in parent.findall(qn(f"w:{tag}")):
        parent.remove(old)
    el = OxmlElement(f"w:{tag}")
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    rank = order.index(tag)
    for i, child in enumerate(parent):
        name = child.tag.split("}")[-1]
        if name in order and order.index(name) > rank:
            parent.insert(i, el)
            return el
    parent.append(el)
    return el


def fixed_table(d: Any, rows: int, widths: list[float], inset: int) -> Any:
    """A table across the 版心 (156 mm) with fixed columns (``widths``: fractions of it), its
    text ``inset`` twips in from the rules on the left and right and none above or below (rows
    keep to the line grid), indented by the inset so the rules, not the text, meet the 版心's
    edges, as in the PDF. (Tables: docx_tables.py; the 版记: docx.py.)"""
    t = d.add_table(rows=rows, cols=len(widths))
    t.autofit = False
    total = Mm(156)
    tblpr = t._tbl.tblPr
    put(tblpr, "tblW", TBLPR_ORDER, w=str(int(total.twips)), type="dxa")
    put(tblpr, "tblInd", TBLPR_ORDER, w=str(inset), type="dxa")
    put(tblpr, "tblLayout", TBLPR_ORDER, type="fixed")
    mar = put(tblpr, "tblCellMar", TBLPR_ORDER)
    for side, width in (("top", 0), ("left", inset), ("bottom", 0), ("right", inset)):
        mar.append(parse_xml(f'<w:{side} {nsdecls("w")} w:w="{width}" w:type="dxa"/>'))
    for col, w in zip(t.columns, widths, strict=True):
        col.width = Emu(int(total * w))
    return t


def add_runs(p: Any, text: str, face: Face, size: float, track: float, color: str | None = None) -> None:
    """Runs of ``text`` in ``face``, with 生僻字 in a fallback face that has them (fonts.pieces)."""
    for piece, use in pieces(text, face):
        r = p.add_run(piece)  # python-docx turns "\n" into a line break, "\t" into a tab
        r._r.insert(0, run_format(use, size, track, color))


_formats: dict[tuple[str, bool, float, float, str | None], Any] = {}


def run_format(face: Face, size: float, track: float, color: str | None = None) -> Any:
    """A new run's w:rPr, copied from one built once per format (building it element by
    element in schema order was a third of a DOCX's build)."""
    key = (face.official_name, face.bold, size, track, color)
    made = _formats.get(key)
    if made is None:
        made = OxmlElement("w:rPr")
        set_run_format(made, face, size, track)
        if color:
            put(made, "color", RPR_ORDER, val=color.lstrip("#"))
        _formats[key] = made
    return deepcopy(made)


def fonts_xml(rpr: Any, face: Face) -> None:
    """Name the face in every slot: Word picks w:eastAsia for Chinese, w:ascii for digits."""
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in list(rfonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del rfonts.attrib[attr]  # theme fonts would override the names below
    for slot in ("ascii", "hAnsi", "eastAsia", "cs"):
        rfonts.set(qn(f"w:{slot}"), face.official_name)
    rfonts.set(qn("w:hint"), "eastAsia")


def set_run_format(rpr: Any, face: Face, size: float, track: float) -> None:
    fonts_xml(rpr, face)
    for tag in ("b", "bCs"):
        if face.bold:
            put(rpr, tag, RPR_ORDER)
        else:
            put(rpr, tag, RPR_ORDER, val="0")
    put(rpr, "spacing", RPR_ORDER, val=str(round(track * 20)))
    put(rpr, "sz", RPR_ORDER, val=str(round(size * 2)))
    put(rpr, "szCs", RPR_ORDER, val=str(round(size * 2)))


def font_table(d: Any, face: dict[str, Face]) -> None:
    """Declare each official face with the free face of the same design as its w:altName and
    the GB2312 charset, so Word and WPS on a PC without 仿宋_GB2312 substitute a 仿宋 rather
    than their default 宋体 (LibreOffice on Linux follows scripts/fontconfig/ instead)."""
    part = next(p for p in d.part.package.parts if str(p.partname) == "/word/fontTable.xml")
    table = parse_xml(part.blob)
    for el in list(table):
        table.remove(el)  # the template's Latin/Japanese entries name faces we never use
    seen = set()
    for f in face.values():
        if f.official_name in seen:
            continue
        seen.add(f.official_name)
        alt = f'<w:altName w:val="{f.family}"/>' if f.family != f.official_name else ""
        family = "roman" if f.role in ("title", "song", "body") else "modern"
        table.append(parse_xml(
            f'<w:font {nsdecls("w")} w:name="{f.official_name}">{alt}<w:charset w:val="86"/>'
            f'<w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'))
    part._blob = etree_bytes(table)


def etree_bytes(el: Any) -> bytes:
    from lxml import etree

    return etree.tostring(el, xml_declaration=True, encoding="UTF-8", standalone=True)


# ---------------------------------------------------------------- footers: page number and QR


def footers(d: Any, face: dict[str, Face]) -> None:
    """The odd and even pages' footers with the page number (the code follows: footer_codes)."""
    s = d.sections[0]
    for footer, odd in ((s.footer, True), (s.even_page_footer, False)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p._p.style = "页码"
        pf = p.paragraph_format
        pf.line_spacing = Pt(16)
        pf.first_line_indent = None
        one = Pt(G["folio_pt"])  # 1 character at 4号
        if odd:
            pf.alignment, pf.right_indent = WD_ALIGN_PARAGRAPH.RIGHT, one
        else:
            pf.alignment, pf.left_indent = WD_ALIGN_PARAGRAPH.LEFT, one
        p.add_run("— ")
        _page_field(p)
        p.add_run(" —")


def footer_codes(d: Any, payload: str) -> None:
    """The record's code in both footers, after the page number (none without a payload)."""
    if not payload:
        return
    s = d.sections[0]
    png = qr_png(payload)
    for n, footer in enumerate((s.footer, s.even_page_footer), start=1):
        _anchored_picture(footer.paragraphs[0], png, 1000 + n)


def _page_field(p: Any) -> None:
    """A PAGE field as begin/instr/separate/result/end runs (read by Word, WPS and LibreOffice)."""
    for inner in (
        '<w:fldChar w:fldCharType="begin"/>',
        '<w:instrText xml:space="preserve"> PAGE </w:instrText>',
        '<w:fldChar w:fldCharType="separate"/>',
        "<w:t>1</w:t>",
        '<w:fldChar w:fldCharType="end"/>',
    ):
        p._p.append(parse_xml(f"<w:r {nsdecls('w')}>{inner}</w:r>"))


def _anchored_picture(p: Any, png: bytes, shape_id: int) -> None:
    """The QR as a floating picture fixed to the page corner: in a footer it shows on every page."""
    size = Mm(G["qr_size"])
    run = p.add_run()
    run.add_picture(io.BytesIO(png), width=size, height=size)
    inline = run._r.find(qn("w:drawing")).find(qn("wp:inline"))
    x = Mm(G["qr_x"])
    y = Mm(G["page_h"] - G["qr_bottom"] - G["qr_size"])
    doc_pr = inline.find(qn("wp:docPr"))
    doc_pr.set("id", str(shape_id))  # unique across the footers, or Word reports damage
    doc_pr.set("name", f"QR {shape_id}")
    graphic = inline.find(qn("a:graphic"))
    anchor = parse_xml(
        f'<wp:anchor {nsdecls("wp", "a", "pic", "r")} distT="0" distB="0" distL="0" distR="0" simplePos="0"'
        ' relativeHeight="251659264" behindDoc="0" locked="1" layoutInCell="1" allowOverlap="1">'
        '<wp:simplePos x="0" y="0"/>'
        f'<wp:positionH relativeFrom="page"><wp:posOffset>{int(x)}</wp:posOffset></wp:positionH>'
        f'<wp:positionV relativeFrom="page"><wp:posOffset>{int(y)}</wp:posOffset></wp:positionV>'
        f'<wp:extent cx="{int(size)}" cy="{int(size)}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>'
        "<wp:wrapNone/><wp:cNvGraphicFramePr/></wp:anchor>"
    )
    anchor.insert(anchor.index(anchor.find(qn("wp:cNvGraphicFramePr"))), doc_pr)
    anchor.append(graphic)
    inline.getparent().replace(inline, anchor)
