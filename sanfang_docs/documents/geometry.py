"""The page the layout fills (GB/T 9704-2012): A4, 版心 156 × 225 mm, 天头 37 mm, 订口 28 mm,
22 lines of 28 characters in 3号 (16 pt), and the few numbers both renderers share.
"""

from __future__ import annotations

MM = 72 / 25.4  # points per millimetre

GEOMETRY: dict[str, float] = {
    "page_w": 210.0,  # mm
    "page_h": 297.0,
    "top": 37.0,  # 天头
    "bottom": 35.0,  # 297 − 37 − 225
    "left": 28.0,  # 订口
    "right": 26.0,  # 210 − 28 − 156
    "body_pt": 16.0,  # 3号
    "title_pt": 22.0,  # 2号
    "folio_pt": 14.0,  # 4号 page numbers
    "table_pt": 14.0,
    # 22 lines in 225 mm is 28.98 pt; Word stores twips, and 580 twips × 22 overflows the
    # 版心 by 0.1 mm, so both renderers use 579 twips to keep exactly 22 lines a page.
    "pitch_pt": 579 / 20,
    # 28 characters in 156 mm is 15.79 pt each; −5 twips of tracking (15.75 pt) is the
    # nearest value Word can store that still fits 28 and not 29.
    "track_pt": -5 / 20,
    "folio_gap": 7.0,  # mm from the 版心 to the page number
    # LibreOffice (7.4) sets the text of an exact-height grid line 1.3 mm lower in its line than
    # Typst and Word do; the DOCX's 版心 starts that much higher (and ends that much higher)
    # so that in LibreOffice too the first line's type stands where the 天头 says (measured).
    "docx_raise": 1.3,
    # 版记 (7.4): 4号 lines on the grid between rules of 0.35 mm (first, last) and 0.25 mm (between).
    "imprint_pt": 14.0,
    "imprint_rule_pt": 1.0,
    "imprint_thin_pt": 0.7,
    "qr_size": 18.0,  # mm, bottom-left corner, outside the 版心
    "qr_x": 7.0,
    "qr_bottom": 9.0,
}
CHAR_PT = GEOMETRY["body_pt"] + GEOMETRY["track_pt"]
