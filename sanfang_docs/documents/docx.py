"""DOCX renderer (python-docx): the layout items of :mod:`.layout`, editable in Word and WPS.

Every line is set to an exact 579-twip pitch and every body run to −5 twips of tracking, the
same numbers the Typst layout uses, so the pages break alike (LibreOffice checks this in tests).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from docx import Document as new_docx
from docx.enum.section import WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Mm, Pt, Twips

from .fonts import Face, faces
from .layout import CHAR_PT, GEOMETRY, layout_items
from .model import Document
from .qr import qr_png

G = GEOMETRY
PITCH = Twips(579)
ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
}


def render_docx(doc: Document) -> bytes:
    face = faces()
    d = new_docx(io.BytesIO(_base(face)))
    d.core_properties.title = doc.title
    d.core_properties.author = doc.issuer.replace("\n", " ")
    d.core_properties.language = "zh-CN"
    d.core_properties.last_modified_by = "sanfang-docs"
    d.core_properties.comments = ""
    d.core_properties.created = d.core_properties.modified = datetime.now(UTC).replace(microsecond=0)
    for item in layout_items(doc):
        if item["t"] == "par":
            _paragraph(d, face, item)
        elif item["t"] == "blank":
            blank = _add_par(d, "公文正文")
            if item.get("rule"):
                _rule_above(blank, item["rule"])
            if item.get("sticky"):
                blank.paragraph_format.keep_with_next = True
        elif item["t"] == "space":
            _space(d, item["pt"] + item.get("docx_shift", 0.0))
        elif item["t"] == "docno":
            _docno(d, face, item)
        elif item["t"] == "attachments":
            _attachments(d, item)
        elif item["t"] == "table":
            _table(d, face, item)
    _footers(d, face, doc.qr_payload)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


_BASES: dict[tuple[Any, ...], bytes] = {}


def _base(face: dict[str, Face]) -> bytes:
    """An empty document with our styles and page setup, built once (styles cost ~30 ms)."""
    key = tuple(sorted((role, f.family, f.bold) for role, f in face.items()))
    if key not in _BASES:
        d = new_docx()
        _prune(d)
        _setup_styles(d, face)
        _setup_settings(d)
        _setup_section(d)
        _font_table(d, face)
        body = d.element.body
        for p in list(body):
            if p.tag != qn("w:sectPr"):
                body.remove(p)
        out = io.BytesIO()
        d.save(out)
        _BASES[key] = out.getvalue()
    return _BASES[key]


_KEEP_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "Header", "Footer"}


def _prune(d: Any) -> None:
    """Drop what python-docx's template carries and we never use (800 kB of styles, a
    thumbnail of an English page): smaller files, and each render parses and zips less."""
    for rels, kinds in (
        (d.part.rels, ("stylesWithEffects", "customXml")),
        (d.part.package.rels, ("thumbnail",)),
    ):
        for rid, rel in list(rels.items()):
            if rel.reltype.rsplit("/", 1)[-1] in kinds:
                rels.pop(rid)
    styles = d.styles.element
    for el in list(styles):
        if el.tag == qn("w:latentStyles"):
            styles.remove(el)
        elif el.tag == qn("w:style") and el.get(qn("w:styleId")) not in _KEEP_STYLES:
            styles.remove(el)


def _add_par(container: Any, style_id: str) -> Any:
    # Setting the style id directly: python-docx's lookup by name scans every style each time.
    p = container.add_paragraph()
    p._p.style = style_id
    return p


# ---------------------------------------------------------------- fonts and styles

# Schema order of the children we touch (Word rejects out-of-order elements).
_RPR_ORDER = "rStyle rFonts b bCs i iCs caps smallCaps strike dstrike outline shadow emboss imprint noProof snapToGrid vanish webHidden color spacing w kern position sz szCs highlight u effect bdr shd fitText vertAlign rtl cs em lang eastAsianLayout specVanish oMath".split()
_TBLPR_ORDER = "tblStyle tblpPr tblOverlap bidiVisual tblStyleRowBandSize tblStyleColBandSize tblW jc tblCellSpacing tblInd tblBorders shd tblLayout tblCellMar tblLook".split()
_PPR_ORDER = "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle rPr sectPr pPrChange".split()


def _put(parent: Any, tag: str, order: list[str], **attrs: str) -> Any:
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


def _fonts_xml(rpr: Any, face: Face) -> None:
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


def _set_run_format(rpr: Any, face: Face, size: float, track: float) -> None:
    _fonts_xml(rpr, face)
    for tag in ("b", "bCs"):
        if face.bold:
            _put(rpr, tag, _RPR_ORDER)
        else:
            _put(rpr, tag, _RPR_ORDER, val="0")
    _put(rpr, "spacing", _RPR_ORDER, val=str(round(track * 20)))
    _put(rpr, "sz", _RPR_ORDER, val=str(round(size * 2)))
    _put(rpr, "szCs", _RPR_ORDER, val=str(round(size * 2)))


def _setup_styles(d: Any, face: dict[str, Face]) -> None:
    styles = d.styles.element
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_run_format(rpr_default, face["body"], G["body_pt"], 0)
    lang = rpr_default.find(qn("w:lang"))
    # Latin letters and digits are "western" text: with zh-CN there, LibreOffice breaks lines
    # inside numbers (202 | 6年, 027-87951 | 234); as en-US they break only where Typst and
    # Word break them. Chinese stays zh-CN.
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    for el in list(ppr_default):
        ppr_default.remove(el)
    _plain_punctuation(ppr_default)

    normal = d.styles["Normal"]
    _style_common(normal, face["body"], G["body_pt"], G["track_pt"])
    named = {
        "公文正文": ("body", G["body_pt"], G["track_pt"]),
        "公文标题": ("title", G["title_pt"], 0.0),
        "一级标题": ("hei", G["body_pt"], G["track_pt"]),
        "二级标题": ("kai", G["body_pt"], G["track_pt"]),
        "三级标题": ("body", G["body_pt"], G["track_pt"]),
        "表格文字": ("body", G["table_pt"], 0.0),
        "页码": ("song", G["folio_pt"], 0.0),
    }
    for name, (role, size, track) in named.items():
        st = d.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        st.base_style = normal
        st.quick_style = True
        _style_common(st, face[role], size, track)
        if name in ("一级标题", "二级标题", "三级标题"):
            st.paragraph_format.keep_with_next = True
        if name == "公文标题":
            st.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
        if name in ("公文标题", "表格文字"):
            # LibreOffice gives a 22 pt line two grid cells, and grid cells ignore the table
            # row trim below; off the grid these lines keep their exact heights.
            _put(st.element.get_or_add_pPr(), "snapToGrid", _PPR_ORDER, val="0")


def _style_common(st: Any, face: Face, size: float, track: float) -> None:
    pf = st.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = PITCH
    pf.space_before = Pt(0)
    pf.space_after = Pt(0)
    pf.widow_control = False  # the PDF does not move lines for widows either
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    _plain_punctuation(st.element.get_or_add_pPr())
    _set_run_format(st.element.get_or_add_rPr(), face, size, track)


def _plain_punctuation(ppr: Any) -> None:
    # w:overflowPunct="1", Word's own default, said out loud: LibreOffice imports it inverted,
    # and with "0" it drops a comma that falls at a line end (7.4, zh-CN). With "1" LibreOffice
    # moves the previous character down, as Typst does; Word may hang the comma in the margin.
    # (The automatic small space between Chinese and digits stays on, as Word does by
    # default; LibreOffice ignores w:autoSpaceDN anyway, and Typst is given the same space.)
    _put(ppr, "overflowPunct", _PPR_ORDER, val="1")


def _font_table(d: Any, face: dict[str, Face]) -> None:
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


def _setup_settings(d: Any) -> None:
    d.settings.odd_and_even_pages_header_footer = True  # page numbers: odd right, even left
    settings = d.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is not None:
        lang.set(qn("w:eastAsia"), "zh-CN")
    compat = settings.find(qn("w:compat"))
    if compat is not None:
        # A line ended by a line break (a newline in an answer) is not stretched.
        compat.insert(0, OxmlElement("w:doNotExpandShiftReturn"))


def _setup_section(d: Any) -> None:
    s = d.sections[0]
    s.start_type = WD_SECTION.NEW_PAGE
    s.page_width, s.page_height = Mm(G["page_w"]), Mm(G["page_h"])
    s.top_margin, s.bottom_margin = Mm(G["top"] - G["docx_raise"]), Mm(G["bottom"] + G["docx_raise"])
    s.left_margin, s.right_margin = Mm(G["left"]), Mm(G["right"])
    s.header_distance = Mm(15)
    # Footer paragraph is one 16 pt line whose top lies 7 mm below the 版心.
    s.footer_distance = Mm(G["bottom"] - G["folio_gap"]) - Pt(16)
    grid = s._sectPr.find(qn("w:docGrid"))
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")


# ---------------------------------------------------------------- body


def _indent(pf: Any, item: dict[str, Any]) -> None:
    ch = Pt(CHAR_PT)
    if item["left"]:
        pf.left_indent = Emu(int(ch * item["left"]))
    if item["right"]:
        pf.right_indent = Emu(int(ch * item["right"]))
    if item["first"]:
        pf.first_line_indent = Emu(int(ch * item["first"]))


def _paragraph(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    p = _add_par(d, item["name"] if item["name"] in _STYLE_NAMES else "公文正文")
    pf = p.paragraph_format
    pf.alignment = ALIGN[item["align"]]
    _indent(pf, item)
    if item["sticky"]:
        pf.keep_with_next = True
    if item["keep"]:
        pf.keep_together = True
    if item.get("height"):  # the 发文机关标志: its own exact line height, off the grid
        pf.line_spacing = Pt(item["height"])
        _put(p._p.get_or_add_pPr(), "snapToGrid", _PPR_ORDER, val="0")
    for run in item["runs"]:
        r = p.add_run(run["text"])  # python-docx turns "\n" into a line break, "\t" into a tab
        _set_run_format(r._r.get_or_add_rPr(), face[run["font"]], item["size"], item["track"])
        if item.get("color"):
            _put(r._r.get_or_add_rPr(), "color", _RPR_ORDER, val=item["color"].lstrip("#"))


_STYLE_NAMES = {"公文正文", "公文标题", "一级标题", "二级标题", "三级标题"}


def _space(d: Any, pt: float) -> None:
    """Vertical space of an exact height (the 版头's 35 mm), as an empty off-grid line."""
    p = _add_par(d, "公文正文")
    p.paragraph_format.line_spacing = Pt(pt)
    _put(p._p.get_or_add_pPr(), "snapToGrid", _PPR_ORDER, val="0")
    p.paragraph_format.keep_with_next = True


def _rule_above(p: Any, color: str) -> None:
    """The 版头's red separator: a 1 pt border on the top edge of the line below the 发文字号."""
    border = parse_xml(f'<w:pBdr {nsdecls("w")}><w:top w:val="single" w:sz="8" w:space="0" '
                       f'w:color="{color.lstrip("#")}"/></w:pBdr>')
    ppr = p._p.get_or_add_pPr()
    ppr.insert(1, border)  # after pStyle, the only child so far (schema order)
    # A border adds its width to the line in Word and LibreOffice: take it off the line.
    # (Off the grid, or LibreOffice rounds the shortened line back up to a whole grid line.)
    p.paragraph_format.line_spacing = Twips(579 - 20)
    _put(ppr, "snapToGrid", _PPR_ORDER, val="0")


def _docno(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    """发文字号 centred; with a 签发人, 发文字号 1 character in on the left and 签发人 1 in on the right."""
    p = _add_par(d, "公文正文")
    pf = p.paragraph_format
    pf.keep_with_next = True
    body = (face["body"], G["body_pt"], G["track_pt"])
    if not item["signer"]:
        pf.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _set_run_format(p.add_run(item["no"])._r.get_or_add_rPr(), *body)
        return
    ch = Pt(CHAR_PT)
    pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
    pf.left_indent, pf.right_indent = ch, ch
    pf.tab_stops.add_tab_stop(Mm(156) - ch, WD_TAB_ALIGNMENT.RIGHT)
    _set_run_format(p.add_run(item["no"] + "\t签发人：")._r.get_or_add_rPr(), *body)
    _set_run_format(p.add_run(item["signer"])._r.get_or_add_rPr(), face["kai"], G["body_pt"], G["track_pt"])


def _attachments(d: Any, item: dict[str, Any]) -> None:
    """附件说明: 附件：1.×× with later numbers under the first, names wrapping under names."""
    names = item["items"]
    label_w = 3.0  # 附件：
    num_w = 0.0 if len(names) == 1 else (1.0 if len(names) < 10 else 1.5)
    ch = Pt(CHAR_PT)
    left = Emu(int(ch * (2 + label_w + num_w)))
    for i, name in enumerate(names):
        p = _add_par(d, "公文正文")
        pf = p.paragraph_format
        pf.alignment = WD_ALIGN_PARAGRAPH.LEFT
        pf.left_indent = left
        pf.first_line_indent = -Emu(int(ch * ((label_w if i == 0 else 0) + num_w)))
        if num_w:
            pf.tab_stops.add_tab_stop(left)
        if item.get("sticky"):
            pf.keep_with_next = True  # goes with the signature (layout.py)
        head = item["label"] if i == 0 else ""
        number = f"{i + 1}.\t" if num_w else ""
        p.add_run(head + number + name)


def _table(d: Any, face: dict[str, Face], item: dict[str, Any]) -> None:
    rows = item["rows"]
    ncols = len(item["widths"])
    t = d.add_table(rows=len(rows), cols=ncols)
    t.autofit = False
    total = Mm(156)
    widths = [Emu(int(total * w)) for w in item["widths"]]
    tblpr = t._tbl.tblPr
    tblpr.style = "TableGrid"
    _put(tblpr, "tblW", _TBLPR_ORDER, w=str(int(total.twips)), type="dxa")
    # Indented by the cell margin, so the borders (not the text) meet the 版心's edges, as in the PDF.
    _put(tblpr, "tblInd", _TBLPR_ORDER, w="80", type="dxa")
    _put(tblpr, "tblLayout", _TBLPR_ORDER, type="fixed")
    # No top/bottom cell margins: rows keep to the line grid.
    mar = _put(tblpr, "tblCellMar", _TBLPR_ORDER)
    for side, width in (("top", "0"), ("left", "80"), ("bottom", "0"), ("right", "80")):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), width)
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    for c, col in enumerate(t.columns):
        col.width = widths[c]
    for r, row in enumerate(rows):
        tr = t.rows[r]
        trpr = tr._tr.get_or_add_trPr()
        if r == 0:
            # The header row stays whole (and repeats); a tall body row may run on to the next
            # page rather than leave half a page empty — the Typst layout does the same.
            trpr.append(OxmlElement("w:cantSplit"))
        if r == 0:
            trpr.append(OxmlElement("w:tblHeader"))  # repeat the header on every page
        for c, text in enumerate(row):
            cell = tr.cells[c]
            cell.width = widths[c]
            p = cell.paragraphs[0]
            p._p.style = "表格文字"
            centred = item["centred"][r][c]
            p.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER if centred else WD_ALIGN_PARAGRAPH.LEFT
            # Borders (0.5 pt = 10 twips) add to a row's height in LibreOffice: take them off
            # the line so each row is one grid line, as in the PDF (the first row has two).
            p.paragraph_format.line_spacing = Twips(round(item["pitch"] * 20) - (20 if r == 0 else 10))
            if item.get("sticky") and r == len(rows) - 1:
                p.paragraph_format.keep_with_next = True  # the last row goes with the signature
            run = p.add_run(text)
            role = "hei" if r == 0 else "body"
            _set_run_format(run._r.get_or_add_rPr(), face[role], item["size"], 0.0)


# ---------------------------------------------------------------- footers: page number and QR


def _footers(d: Any, face: dict[str, Face], payload: str) -> None:
    s = d.sections[0]
    png = qr_png(payload) if payload else None
    for n, (footer, odd) in enumerate(((s.footer, True), (s.even_page_footer, False)), start=1):
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
        if png is not None:
            _anchored_picture(p, png, 1000 + n)


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
