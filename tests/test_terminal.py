"""The terminal front end in a real pseudo-terminal (pexpect): what a clerk types, as typed —
mistakes, line editing over Chinese characters, 上一步, 复核 with edits, Ctrl-C and resume."""

from __future__ import annotations

import json
import os
import re
import signal
import sys
from pathlib import Path

import pexpect
import pytest

BIN = Path(sys.executable).parent / "sanfang"
REPO = Path(__file__).resolve().parent.parent
LEFT, BACKSPACE = "\x1b[D", "\x7f"


class Clerk:
    """A person at a terminal running ``sanfang``."""

    def __init__(self, home: Path, *args: str):
        env = {**os.environ, "SANFANG_HOME": str(home), "TERM": "xterm", "LANG": "C.UTF-8",
               "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
        # A terminal gives its program Ctrl-C; a test run started in the background (`cmd &`
        # in a script) has SIGINT ignored, and an ignored signal is inherited through exec.
        self.child = pexpect.spawn(str(BIN), list(args), env=env, encoding="utf-8", timeout=60,
                                   dimensions=(50, 200),
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.seen = ""

    def wait(self, text: str) -> str:
        """Everything printed up to and including ``text``."""
        self.child.expect_exact(text)
        chunk = self.child.before + text
        self.seen += chunk
        return chunk

    def answer(self, prompt: str, *lines: str) -> str:
        chunk = self.wait(prompt)
        for line in lines:
            self.child.sendline(line)
        return chunk

    def end(self) -> tuple[int, str]:
        self.child.expect(pexpect.EOF)
        self.seen += self.child.before
        self.child.close()
        return self.child.exitstatus, self.seen


@pytest.mark.skipif(not BIN.exists(), reason="the sanfang console script is not installed")
def test_branch_founding_for_a_committee_with_mistakes_back_review_ctrl_c_and_resume(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    clerk = Clerk(home, "interview", "branch-founding")
    out = clerk.answer("（填编号）", "8")
    assert "第 1 步，共约" in out
    clerk.answer("街道（开发区）名称", "五里界街道")
    out = clerk.answer("是新的街道（开发区）吗？（是/否） [否]", "是")  # the registry is empty: confirmed
    assert "“五里界街道”不在组织登记中" in out
    clerk.answer("街道党工委名称", "中共五里界街道工作委员会")
    # Line editing: backspace over a wide character, and the left arrow to insert one.
    clerk.answer("社区名称", "锦绣社区区" + BACKSPACE)
    clerk.answer("确认“锦绣社区”是新的社区吗？", "是")
    clerk.answer("社区党组织名称", "中共锦绣委员会" + LEFT * 3 + "社区")
    clerk.answer("小区名称", "藏龙御景小区")  # taken as the compound 藏龙御景
    clerk.answer("是新的小区吗？", "是")
    out = clerk.answer("正式党员人数（整数）", "二十三")  # mistake 1: not a number
    out = clerk.wait("正式党员人数（整数）")
    assert "应填写整数，收到“二十三”" in out and "■ 藏龙御景小区的正式党员" not in out.split("二十三")[-1]
    clerk.child.sendline("23")
    out = clerk.answer("委员职数（含书记）（整数） [3]", "5")
    assert "第 5 步" in clerk.seen
    clerk.answer("临时召集人姓名", "周卫东")
    out = clerk.answer("临时召集人党内职务", "社区党委副书记")
    clerk.answer("成立请示以谁的名义上报？（填编号）", "2")
    clerk.answer("成文日期（如 2026-03-05）", "2026.9.1")
    clerk.answer("请示文号", "藏龙御景小区筹备组[2026]1号")
    clerk.answer("批复成文日期（如 2026-03-05）", "２０２６年９月８日")  # full-width digits
    clerk.answer("联系人", "刘洋")
    clerk.answer("联系电话", "八一八一")  # mistake 2: a rule of the screen
    out = clerk.wait("联系人 [刘洋]")  # what was right is offered again …
    assert "联系电话只能包含数字和连字符" in out
    clerk.child.sendline("")
    out = clerk.answer("联系电话: ", "027-81811234")  # … the refused value is not
    clerk.answer("批复文号", "五工委（2026）31号")
    clerk.answer("请示成文日期（如 2026-03-05）", "2026-09-14")
    clerk.answer("召开日期（如 2026-03-05）", "2026-09-28")
    clerk.answer("地点 [藏龙御景小区党群服务驿站]", "")  # the default, which follows the compound
    # A 支委会: the 党员大会 elects the members (张玉梅 among them), the committee the 书记 (issue 10).
    clerk.answer("委员候选人（可多行", "张玉梅 1998-06-18", "王丽 2012-07-01", "赵刚 2016-05-20",
                 "孙红霞 2019-11-11", "钱明 2008-03-05", "吴志强 2021-06-30", ".")
    # A back step: the candidates come back as they were typed and are kept with “.”.
    out = clerk.answer("书记候选人姓名", "上一步")
    assert "候选人应在委员候选人名单中：张玉梅、王丽" in out
    out = clerk.answer("直接输入“.”保留现有内容", ".")
    assert "■ 支部委员会委员候选人预备人选" in out and "吴志强 2021-06-30" in out
    clerk.answer("书记候选人姓名", "张玉梅")
    out = clerk.answer("请示文号", "藏龙御景小区筹备组〔2026〕2号")
    assert "藏龙御景小区筹备组〔2026〕1号" in out  # the hint is rendered, not ${ compound_name }
    clerk.answer("批复成文日期（如 2026-03-05）", "2026-09-21")
    clerk.answer("主持人 [周卫东]", "")
    clerk.answer("主持人身份 [筹备组临时负责人]", "")
    # 应到 is derived: 23 正式党员 − 0 without a vote − 1 excused (with the reason) = 22.
    clerk.answer("没有选举权的正式党员（名）（整数） [0]", "")
    clerk.answer("不计入应到会人数的正式党员（名）（整数） [0]", "1")
    clerk.answer("不计入的原因（可多行", "刘建华同志自费出国半年以上，经社区党委同意、党员大会通过不计入应到会人数", ".")
    clerk.answer("实到（名）（整数）", "19")
    clerk.answer("每名候选人的得票（可多行", "张玉梅 18", "王丽 17", "赵刚 15", "孙红霞 12", "钱明 14", "吴志强 6", ".")
    out = clerk.answer("会议日期（如 2026-03-05）", "2026-09-28")
    assert "当选委员：张玉梅、王丽、赵刚、钱明、孙红霞" in out
    clerk.answer("张玉梅 同志得票（书记）（整数）", "5")
    clerk.answer("副书记（姓名）", "")
    clerk.answer("副书记得票（整数）", "")
    clerk.answer("报告成文日期（如 2026-03-05）", "2026-10-05")  # mistake 3: later than 3 days
    out = clerk.answer("报告成文日期（如 2026-03-05）: ", "2026-09-30")
    assert "选举结果须在会后 3 日内上报" in out
    clerk.answer("批复成文日期（如 2026-03-05）", "2026-10-12")
    clerk.answer("任期（填编号）", "2")
    out = clerk.answer("任期至（如 2026-03-05）", "2028-12-31")  # same-screen show if: asked, no loop
    clerk.wait("公示开始日期")
    clerk.child.sendintr()  # Ctrl-C
    status, out = clerk.end()
    assert status == 1 and "已取消，未生成任何文件。" in out and "Traceback" not in out
    assert "sanfang drafts resume 1" in out
    assert not (home / "archive").exists()

    clerk = Clerk(home, "drafts", "resume", "1")
    clerk.answer("公示开始日期", "2026-10-13")
    clerk.answer("公示工作日数（整数） [5]", "")
    out = clerk.wait("修改该项: ")
    listed = re.findall(r"(\d+)\. ([^：\n]+)：([^\r\n]*)", out)
    assert len(listed) >= 36  # every answer, not 2 of them
    number = {label: n for n, label, _ in reversed(listed)}  # the first of a label (two 请示文号)
    value = {label: v for _, label, v in reversed(listed)}
    assert value["小区名称"] == "藏龙御景" and value["社区名称"] == "锦绣社区"
    assert value["请示文号"] == "藏龙御景小区筹备组〔2026〕1号" and value["成文日期"] == "2026年9月1日"
    clerk.child.sendline("99")  # the review takes only what it offers
    out = clerk.answer("修改该项: ", number["正式党员人数"])
    assert "请输入 1～" in out
    clerk.answer("正式党员人数（整数） [23]", "18")  # 应到 derived again: 17, fewer than the 19 present: refused
    out = clerk.answer("修改该项: ", number["小区名称"])
    assert "未修改" in out and "实到人数（19）不能多于应到会有选举权党员（17 = 正式党员 18 − 无选举权 0 − 不计入 1）" in out
    clerk.answer("小区名称 [藏龙御景]", "桂花苑")
    clerk.answer("确认“桂花苑”是新的小区吗？", "是")
    out = clerk.wait("修改该项: ")
    assert "地点：桂花苑小区党群服务驿站" in out and "正式党员人数：23" in out
    clerk.child.sendline("")
    status, out = clerk.end()
    assert status == 0, out
    assert "已生成：中共桂花苑小区支部委员会选举结果公示" in out
    folder = next(home.rglob("record.json")).parent
    record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    answers = json.loads((folder / "answers.json").read_text(encoding="utf-8"))
    assert answers["compound_name"] == "桂花苑" and answers["community_party_org"] == "中共锦绣社区委员会"
    assert answers["founding_reply_no"] == "五工委〔2026〕31号" and answers["founding_reply_date"] == "2026-09-08"
    assert answers["meeting_place"] == "桂花苑小区党群服务驿站"
    assert answers["term_end"] == "2028-12-31" and "公示时间：2026年10月13日至2026年10月19日" in record["text"]
    assert "没有草稿" in Clerk(home, "drafts", "list").end()[1]  # filed: the draft is gone


@pytest.mark.skipif(not BIN.exists(), reason="the sanfang console script is not installed")
def test_registered_organisations_are_picked_and_a_near_miss_is_not_taken_as_new(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    csv = tmp_path / "orgs.csv"
    csv.write_text("类型,名称,上级,党组织\n街道,纸坊街道,,中共纸坊街道工作委员会\n街道,五里界街道,,中共五里界街道工作委员会\n"
                   "社区,文化路社区,纸坊街道,中共文化路社区委员会\n小区,桂花苑,文化路社区,\n", encoding="utf-8")
    status, out = Clerk(home, "org", "import", str(csv)).end()
    assert status == 0 and "已导入 4 条" in out
    clerk = Clerk(home, "interview", "branch-founding", "--doc", "branch-founding-request")
    out = clerk.answer("街道（开发区）名称: ", "2")  # picked: its 党工委 comes with it
    assert "1. 五里界街道（中共五里界街道工作委员会）" in out and "2. 纸坊街道（中共纸坊街道工作委员会）" in out
    out = clerk.answer("社区名称: ", "1")
    # Only the communities of the street picked are offered.
    assert "街道党工委名称: " not in out, repr(out)
    assert "    1. 文化路社区（中共文化路社区委员会）" in out and "    2. " not in out
    clerk.answer("小区名称: ", "桂花园")  # one character off a registered compound
    out = clerk.answer("确认“桂花园”是新的小区吗？", "否")
    assert "您是不是要写：桂花苑？" in out
    out = clerk.answer("小区名称: ", "桂花苑")
    out = clerk.wait("正式党员人数")
    assert "是新的" not in out and "■ 桂花苑小区的正式党员" in out
    clerk.child.sendintr()
    assert clerk.end()[0] == 1


@pytest.mark.skipif(not BIN.exists(), reason="the sanfang console script is not installed")
def test_a_closed_terminal_keeps_the_draft(tmp_path: Path) -> None:
    home = tmp_path / "ws"
    clerk = Clerk(home, "interview", "pmc-founding")
    clerk.answer("（填编号）", "1")
    clerk.wait("街道（开发区）名称")
    clerk.child.close(force=True)  # the window is closed: SIGHUP, no goodbye
    status, out = Clerk(home, "drafts", "list").end()
    assert status == 0 and "pmc-founding  已答 1 步" in out
