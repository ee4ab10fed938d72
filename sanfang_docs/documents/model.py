"""The document model: one structure per output document, rendered twice (PDF and DOCX).

A template (Markdown + Mako, see ``templates/``) renders to a small Markdown dialect, which
:func:`parse_body` turns into blocks. Answers are protected while the template renders: every
``${ value }`` becomes a placeholder, the Markdown structure is parsed, and only then is the
literal value put back. So an answer such as ``# *x* ${y}`` can never make a heading or
change the layout; it is printed as typed.

The dialect (one block per paragraph, blank lines between blocks):

``= text``      一级标题 — numbered 一、二、… automatically, 黑体 (``# text`` also works)
``== text``     二级标题 — （一）（二）…, 楷体
``=== text``    三级标题 — 1. 2. …, 仿宋
(Not Markdown's ``##``: Mako reads a line starting with ``##`` as a comment.)
``1. text``     numbered item within the body (keeps the number written)
``- text``      list item (no marker printed; used for 议程 lines)
``> text``      a line set flush right (rare: 证明 dates inside the body)
``| a | b |``   table rows (first row is the header)
anything else   a body paragraph, first line indented two characters
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

# Private-use code points: they cannot occur in real Chinese text, so they make safe fences.
_OPEN, _CLOSE = "\ue000", "\ue001"
_PLACEHOLDER = re.compile(_OPEN + r"(\d+)" + _CLOSE)

BLOCK_KINDS = ("h1", "h2", "h3", "item", "li", "p", "right", "table")

# Layout styles. "letter" is a GB/T 9704 公文 (请示, 批复, 报告, 通知); the others are house styles.
STYLES = ("letter", "notice", "agenda", "certificate", "appointment", "rules", "pledge", "form", "scoresheet")


@dataclass
class Block:
    kind: str  # one of BLOCK_KINDS
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)  # tables only


@dataclass
class Document:
    """Everything the renderers need, nothing they could interpret as markup."""

    key: str  # catalogue key, e.g. branch-founding-request
    title: str  # 标题
    kind: str  # 文种: 请示 / 批复 / 报告 / 公示 / 议程 / 通知 / 证明 / 聘书 / 制度 / 承诺 / 登记表 / 评分表
    style: str = "letter"
    addressee: str = ""  # 主送机关
    issuer: str = ""  # 发文机关署名 (the signature line)
    doc_date: str = ""  # 成文日期, ISO
    doc_no: str = ""  # 发文字号 (optional; the archive assigns it at filing)
    signer: str = ""  # 签发人 (上行文: 请示, 报告), printed on the 发文字号 line
    letterhead: str = ""  # 发文机关标志 (版头), e.g. 中共纸坊街道工作委员会文件; empty: no 版头
    blocks: list[Block] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)  # 附件说明
    note: str = ""  # 附注, printed in parentheses
    archive_no: str = ""  # 档号, set when filed; printed in the QR code
    qr_payload: str = ""  # what the QR code on every page encodes (档号 + checksum)
    issuer_role: str = ""  # street / community / compound / owners / property …: picks the 机构代码
    personal: bool = False  # holds residents' personal data (contact details): kept out of search
    names: list[str] = field(default_factory=list)  # names in the answers: titles never break inside them
    # 版记 (GB/T 9704-2012 7.4), set at filing from the office's settings (imprint.py): no 印发机关,
    # no 版记. The gap is the blank lines that put it at the foot of the last page (pdf.py measures).
    copy_to: str = ""  # 抄送机关, e.g. 中共纸坊街道工作委员会，文化路社区居民委员会
    printer: str = ""  # 印发机关
    print_date: str = ""  # 印发日期, ISO
    imprint_gap: int = -1

    @property
    def date_cn(self) -> str:
        return chinese_date(self.doc_date)

    def as_data(self) -> dict[str, Any]:
        """The JSON handed to the Typst layout (content only, never markup)."""
        data = asdict(self)
        data["date_cn"] = self.date_cn
        return data

    def plain_text(self) -> str:
        """The document's words in reading order, as extracted for search and tests."""
        signer = f"签发人：{self.signer}" if self.signer else ""
        parts = [self.letterhead, self.doc_no, signer, self.title, self.addressee]
        counters = [0, 0, 0]
        for b in self.blocks:
            if b.kind == "table":
                parts.extend(" ".join(r) for r in b.rows)
                continue
            parts.append(heading_prefix(b.kind, counters) + b.text)
        parts.extend(self.attachments)
        parts.extend([self.issuer, self.date_cn, self.note])
        if self.printer:
            cc, printer, printed = self.imprint()
            parts.extend([cc, f"{printer} {printed}"])
        return "\n".join(p for p in parts if p)

    def imprint(self) -> tuple[str, str, str]:
        """The 版记's words: "抄送：…。" (7.4.2: a 句号 after the last 机关; empty without one),
        the 印发机关 and "2026年3月5日印发" (7.4.3)."""
        cc = self.copy_to.strip().rstrip("。，；、")
        return (f"抄送：{cc}。" if cc else "", self.printer,
                chinese_date(self.print_date or self.doc_date) + "印发")


CN_NUMERALS = "〇一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十 (enough for heading numbers)."""
    if n < 10:
        return CN_NUMERALS[n]
    tens, ones = divmod(n, 10)
    return (CN_NUMERALS[tens] if tens > 1 else "") + "十" + (CN_NUMERALS[ones] if ones else "")


def heading_prefix(kind: str, counters: list[int]) -> str:
    """Advance the heading counters for ``kind`` and return its printed number."""
    level = {"h1": 0, "h2": 1, "h3": 2}.get(kind)
    if level is None:
        return ""
    counters[level] += 1
    for deeper in range(level + 1, len(counters)):
        counters[deeper] = 0
    n = counters[level]
    return (f"{cn_number(n)}、", f"（{cn_number(n)}）", f"{n}.")[level]


def chinese_date(iso: str) -> str:
    """成文日期 in Arabic numerals, as GB/T 9704-2012 7.3.5.3 asks: 2026年3月5日."""
    if not iso:
        return ""
    d = date.fromisoformat(str(iso)[:10])
    return f"{d.year}年{d.month}月{d.day}日"


class Protector:
    """Fences answer values during template rendering; see the module docstring."""

    def __init__(self) -> None:
        self.values: list[str] = []

    def __call__(self, value: Any) -> str:
        self.values.append(_display(value))
        return f"{_OPEN}{len(self.values) - 1}{_CLOSE}"

    def restore(self, text: str) -> str:
        return _PLACEHOLDER.sub(lambda m: self.values[int(m.group(1))], text)


def _display(value: Any) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, date):
        return chinese_date(value.isoformat())
    if value is None:
        return ""
    return str(value)


_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


def parse_body(markdown: str, protector: Protector | None = None) -> list[Block]:
    """Turn the template's Markdown dialect into blocks, restoring fenced values literally."""
    restore = protector.restore if protector else (lambda s: s)
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", markdown.strip()):
        lines = [ln.strip() for ln in chunk.strip().splitlines() if ln.strip()]
        if not lines:
            continue
        if all(ln.startswith("|") for ln in lines):
            rows = [
                [restore(c.strip()) for c in ln.strip().strip("|").split("|")]
                for ln in lines
                if not _TABLE_RULE.match(ln)
            ]
            blocks.append(Block("table", rows=rows))
            continue
        # Several list lines in one chunk are several blocks.
        if all(_LIST_LINE.match(ln) for ln in lines):
            blocks.extend(_line_block(ln, restore) for ln in lines)
            continue
        # Chinese joins wrapped lines without a space.
        blocks.append(_line_block("".join(lines), restore))
    return blocks


_LIST_LINE = re.compile(r"^(-|\d+\.)\s")


def _line_block(line: str, restore: Callable[[str], str]) -> Block:
    m = re.match(r"^(={1,3}|#)\s+(.*)$", line)
    if m:
        return Block(("h1", "h2", "h3")[len(m.group(1)) - 1], restore(m.group(2)))
    if line.startswith("- "):
        return Block("li", restore(line[2:]))
    if line.startswith("> "):
        return Block("right", restore(line[2:]))
    m = re.match(r"^(\d+)\.\s+(.*)$", line)
    if m:
        return Block("item", restore(f"{m.group(1)}.{m.group(2)}"))
    return Block("p", restore(line))
