"""The line model both renderers are given (documents/linebreak.py): where a line may end, which
lines the 禁则 would cut short are set tighter to keep their group, and a tall cell's lines.
The renderers' own results are measured by the layout checker (test_gbt9704_layout.py) and
test_table_rows.py; these are the rules themselves, without a renderer.
"""

from __future__ import annotations

from sanfang_docs.documents import GEOMETRY, MM
from sanfang_docs.documents.fonts import advance_pt
from sanfang_docs.documents.layout import par
from sanfang_docs.documents.linebreak import MAX_TIGHTEN, ZWSP, breakable, groups, tightened, width, wrap

BODY, TRACK = GEOMETRY["body_pt"], GEOMETRY["track_pt"]
FULL = 156 * MM


def advance(c: str) -> float:
    return advance_pt("body", c, BODY, 0.0) / BODY


def pieces(text: str) -> list[str]:
    return [text[a:b] for a, b in groups(text)]


def test_a_line_never_starts_with_a_closing_mark_nor_ends_with_an_opening_one() -> None:
    assert pieces("标准（试行），共6类") == ["标", "准", "（试", "行），", "共", "6", "类"]
    assert pieces("登记率100%，每月") == ["登", "记", "率", "100%，", "每", "月"]
    assert pieces("（得17\u2060票）、") == ["（得", "17\u2060票）、"]  # a vote count keeps its 票
    assert pieces(breakable("电话：027-87951234。")) == ["电", "话：", "027-", "8795", "1234。"]
    assert pieces(breakable("（第1、7、10、18项）")) == ["（第", "1、", "7、", "10、", "18", "项）"]


def test_the_model_counts_the_space_and_tracking_where_chinese_meets_digits() -> None:
    # Measured in Typst and LibreOffice: 为 2026 年 — 0.2 em each side, and the character before
    # each boundary sets without its tracking.
    assert width("甲乙", advance, BODY, TRACK) == 2 * (BODY + TRACK)
    digits = 4 * (advance("2") * BODY + TRACK)
    assert abs(width("为2026年", advance, BODY, TRACK) - (2 * (BODY + TRACK) + digits + 2 * (0.2 * BODY - TRACK))) < 1e-9


def test_a_line_the_kinsoku_cuts_short_keeps_its_group_slightly_tighter() -> None:
    text = "评估依据：“三方联动”示范点创建评估参考标准（试行），共6类18项指标，逐项评定是否达标。"
    first = FULL - 2 * (BODY + TRACK)  # indented two characters
    [(start, end, track)] = tightened(text, advance, BODY, TRACK, first, FULL)
    assert text[start:end] == "评估依据：“三方联动”示范点创建评估参考标准（试行），"
    assert TRACK - MAX_TIGHTEN * BODY <= track < TRACK
    # The paragraph item carries it as a run of its own, the rest as before.
    runs = par(text, first=2)["runs"]
    assert [(r["text"], r.get("track")) for r in runs] == [(text[:end], track), (text[end:], None)]


def test_a_line_one_character_short_is_left_as_it_is() -> None:
    # 27 characters and 乙。 that cannot break: 27 of 28, stretched by 3.8 % — not tightened.
    text = "甲" * 27 + "乙。" + "丙" * 10
    assert tightened(text, advance, BODY, TRACK, FULL, FULL) == ()
    # A group that would need more than MAX_TIGHTEN is not pulled back either.
    assert tightened("甲" * 20 + "（" + "乙" * 12 + "）。", advance, BODY, TRACK, FULL, FULL) == ()


def test_a_tall_cell_is_given_lines_that_fit_it() -> None:
    size, room = 14.0, 120.0
    text = breakable("物业服务企业应于每月5日前公示上月公共收益收支明细（含停车费、广告费等），"
                     "业主可查询原始凭证；对公示内容有异议的，可在7日内书面反映。\n电话：027-87951234")
    lines = wrap(text, advance, size, room)
    assert "".join(lines).replace(ZWSP, "") == text.replace("\n", "").replace(ZWSP, "")
    assert all(width(ln, advance, size, 0.0) <= room for ln in lines)
    assert lines[lines.index(next(ln for ln in lines if ln.startswith("电话"))) - 1].endswith("反映。")  # its own break
    assert not any(ln[0] in "，。、；）" for ln in lines)  # the 禁则 hold in the given lines too
