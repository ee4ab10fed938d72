"""版记 (GB/T 9704-2012 7.4) from the office's settings: which 公文 carry one, its 印发机关, its
印发日期 and its 抄送. The layout (layout._imprint) and both renderers paint what is set here.

Also the 版记's layout items (:func:`imprint_items`), which both renderers paint.

The default (``gongwen: imprint: true``): every 公文 that takes a 发文字号 — the ones printed in
the 文件格式 with a 版头 — carries a 版记 with its 印发机关 and 印发日期. GB/T 9704 7.4.3 gives
these without "如有" (the 抄送 of 7.4.2 only "如有") and 《党政机关公文处理工作条例》第九条 counts
them among a 公文's elements; the manual's 示范文本 show only the body of each text, not its
format, so the standard decides here as it does for the 版头. The 印发机关 is the issuer itself (a
社区党委 has no 办公室 that sends its papers to print) unless ``printed_by`` names the office's
文秘部门; the 印发日期 is the 成文日期 (the system prints on filing). An office that does not
print 版记 sets ``imprint: false``.

Where: at the foot of the document's last page (7.4.1 "公文最后一面"), whatever its number. No
blank page is added to bring it to an even page (a 版记页 alone would carry no body text, and
these documents are filed as PDFs and printed one-sided); when it does not fit under the
signature, the last body lines, the signature and the 版记 go to a new page together (7.3.5).
"""

from __future__ import annotations

import math
from typing import Any

from .model import Document

TEXT_WIDTH_PT = 156 * 72 / 25.4  # the 版心


def apply_office(doc: Document, office: dict[str, Any], cc: str = "") -> None:
    """Give ``doc`` its 版记 if the office prints one for it (a 公文 with a 发文字号). ``cc``: the
    抄送 of this document (the answers file's ``cc``), else the office's default for its 文种."""
    if not (doc.doc_no and doc.issuer and office.get("imprint", True)):
        return
    issuer = doc.issuer.split("\n")[0].strip()
    doc.printer = str((office.get("printed_by") or {}).get(issuer) or issuer)
    doc.print_date = doc.doc_date
    doc.copy_to = str(cc or (office.get("cc") or {}).get(doc.kind) or "").strip()


def imprint_items(doc: Document, size: float) -> list[dict[str, Any]]:
    """版记 (GB/T 9704-2012 7.4) at the foot of the last page: ``doc.imprint_gap`` blank lines
    (pdf.py measures them), then 抄送 (if any) and 印发机关/印发日期 in 4号, each line on the grid,
    the last one ending on the 版心's lower edge. (layout.py adds the break opportunities.)"""
    if not doc.printer:
        return []
    from .fonts import advance_pt  # (faces are looked up on first use, as in layout.py)

    cc, printer, printed = doc.imprint()
    # (The 抄送's lines, for the DOCX, whose borders add to a line: 1 character in on each side,
    # wrapped lines under the first 机关, after 抄送：.)
    width = advance_pt("body", cc, size, 0.0) / size if cc else 0.0  # in characters of 4号
    room = TEXT_WIDTH_PT / size - 2
    cc_lines = 0 if not cc else 1 + max(0, math.ceil((width - room) / (room - 3)))
    gap = [{"t": "blank", "sticky": True} for _ in range(max(doc.imprint_gap, 0))]
    return [*gap, {"t": "imprint", "cc": cc, "cc_lines": cc_lines, "printer": printer,
                   "date": printed, "size": size}]
