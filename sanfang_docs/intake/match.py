"""Match the pages of a scan to records by their QR codes alone (no separator sheets): a stack
of several records' documents is split into one part per record, each part checked for
missing, repeated and foreign pages. A scan with no code at all falls back to a 档号 in its
file name.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..archive.numbers import ARCHIVE_NO, canonical_archive_no
from .decode import Page


@dataclass
class Part:
    """The pages of one record in a scan (1-based scan page numbers) and what is wrong with them."""

    archive_no: str
    pages: list[int]
    problem: str = ""  # e.g. "缺第 3/5 页"; a part with a problem is quarantined
    by_name: bool = False  # matched by the file name, not by a code


@dataclass
class Match:
    parts: list[Part] = field(default_factory=list)
    problem: str = ""  # the whole file cannot be matched: why


def archive_no_in_name(name: str) -> str:
    """The 档号 a file name holds, in any spelling a clerk types (the archive's one parser), or ''."""
    m = ARCHIVE_NO.search(name)
    return (canonical_archive_no(m.group(0)) or "") if m else ""


def _pages_text(numbers: list[int]) -> str:
    return "、".join(str(n) for n in numbers)


def match(pages: list[Page], name: str) -> Match:
    """Split ``pages`` by record; see the module docstring."""
    coded = [p for p in pages if p.payload is not None]
    uncoded = [p for p in pages if p.payload is None]
    if not coded:
        number = archive_no_in_name(name)
        if number:
            return Match([Part(number, [p.number for p in pages], by_name=True)])
        foreign = [p for p in pages if p.foreign]
        if foreign:
            return Match(problem="页面上的二维码不是本系统生成的（或校验码不符），文件名中也没有档号")
        return Match(problem="未找到本系统的二维码，文件名中也没有档号")
    if uncoded:
        # Pages of a record with pages nobody can place: filing them would hide pages in
        # the wrong record or lose them, so a person decides.
        numbers = [p.number for p in uncoded]
        return Match(problem=f"第 {_pages_text(numbers)} 页（共 {len(pages)} 页）无法识别本系统的二维码，"
                             "与可识别的页面混在一起")
    groups: dict[str, list[Page]] = {}
    for p in coded:
        groups.setdefault(p.payload.archive_no, []).append(p)  # type: ignore[union-attr]
    return Match([Part(no, [p.number for p in group], problem=completeness(group)) for no, group in groups.items()])


def completeness(group: list[Page]) -> str:
    """What is missing or repeated among one record's pages ('' when complete or unknowable)."""
    payloads = [p.payload for p in group if p.payload is not None]
    paged = [x for x in payloads if x.page]
    problems = []
    if paged:
        total = max(x.pages for x in paged)
        seen = Counter(x.page for x in paged)
        missing = [n for n in range(1, total + 1) if n not in seen]
        if missing:
            problems.append("缺第 " + "、".join(f"{n}/{total}" for n in missing) + " 页")
        repeated = sorted(n for n, c in seen.items() if c > 1)
        if repeated:
            problems.append("第 " + "、".join(f"{n}/{total}" for n in repeated) + " 页重复")
    unpaged = [x for x in payloads if not x.page and x.pages]
    if unpaged and not paged:
        # A printed DOCX: one code on every page, so only the count can be checked.
        total, got = unpaged[0].pages, len(unpaged)
        if got < total:
            problems.append(f"缺 {total - got} 页（收到 {got} 页，应为 {total} 页；Word 打印件各页二维码相同，"
                            "请按页脚页码查找）")
        elif got > total:
            problems.append(f"多出 {got - total} 页（收到 {got} 页，应为 {total} 页），可能有重复页")
    return "；".join(problems)
