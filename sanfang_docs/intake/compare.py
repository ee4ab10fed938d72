"""The stamped paper against the signed record: OCR text compared with the filed document's
text, so a scan of an edited printout (someone changed the DOCX before printing) is flagged
with the passages that differ, and an inspector knows which wording bears the seal.

Both texts are cut down to Chinese characters, letters and digits (layout, punctuation and
spaces are not wording). OCR misreads a character here and there; a passage counts as
different only when at least ``min_run`` characters in a row differ. Page furniture (the page
number, the QR code, the signature note) is not wording either: OCR reads it as a run of stray
characters at the end or start of a page, so a run the scan adds where one page meets the next is
not counted.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from typing import Any

_WORDING = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9]+")
MIN_RUN = 6
CONTEXT = 8


def wording(text: str) -> str:
    return "".join(_WORDING.findall(text))


def compare(scan_pages: list[str], filed_text: str, min_run: int = MIN_RUN) -> dict[str, Any]:
    """The OCR text of each page against the filed text:
    ``{"similarity": 0..1, "differs": [{"filed": …, "scan": …, "context": …}], "verdict": …}``."""
    pages = [wording(page) for page in scan_pages]
    scan, filed = "".join(pages), wording(filed_text)
    edges, at = {0, len(scan)}, 0
    for page in pages:
        at += len(page)
        edges.add(at)
    matcher = SequenceMatcher(None, filed, scan, autojunk=False)
    differs = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal" or max(a2 - a1, b2 - b1) < min_run:
            continue
        if op == "insert" and (b1 in edges or b2 in edges):
            continue  # page furniture OCR'd at the top or the foot of a page
        differs.append({"filed": filed[a1:a2], "scan": scan[b1:b2],
                        "context": filed[max(0, a1 - CONTEXT):a1] + "【…】" + filed[a2:a2 + CONTEXT]})
    similarity = round(matcher.ratio(), 3)
    return {"similarity": similarity, "differs": differs,
            "verdict": "措辞与归档文本不同" if differs else "与归档文本一致"}
