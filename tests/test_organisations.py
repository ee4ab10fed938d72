"""The organisations registry: added by hand, imported from CSV, learnt from filed documents,
offered by interviews, and a near-miss of a registered name refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from sanfang_docs.api import Sanfang
from sanfang_docs.errors import SanfangError, ValidationError
from tests.conftest import example

CSV = """类型,名称,上级,党组织,居委会,业主组织,物业服务企业
街道,纸坊街道,,中共纸坊街道工作委员会,,,
社区,文化路社区,纸坊街道,中共文化路社区委员会,文化路社区居民委员会,,
小区,江南花山郡小区,文化路社区,,,业委会,武汉江夏城投物业服务有限公司
"""


def test_import_add_and_list(app: Sanfang) -> None:
    reg = app.organisations
    assert len(reg.import_csv(CSV)) == 3
    compound = reg.get("compound", "江南花山郡")  # “小区” is dropped, as the interviews do
    assert compound and compound.owners_body == "owners_committee" and compound.parent == "文化路社区"
    reg.add("小区", "江南花山郡", "文化路社区", property_company="")  # an empty detail keeps what is known
    assert reg.get("compound", "江南花山郡").property_company == "武汉江夏城投物业服务有限公司"
    assert [o.line() for o in reg.list("street")] == ["街道  纸坊街道  中共纸坊街道工作委员会"]


def test_a_bad_csv_row_imports_nothing(app: Sanfang) -> None:
    with pytest.raises(SanfangError) as info:
        app.organisations.import_csv(CSV + "街道,五里界,,\n")
    assert "【第 5 行 名称】（name）街道名称应以“街道”或“开发区”结尾" in info.value.message
    assert app.organisations.list() == []
    with pytest.raises(ValidationError):
        app.organisations.add("compound", "桂花苑", owners_body="业主大会")


def test_filed_documents_fill_the_registry_and_a_near_miss_is_refused(app: Sanfang) -> None:
    answers = example("branch-founding", "secretary-only")
    app.make("branch-founding-request", answers, archive=True)
    reg = app.organisations
    assert reg.get("street", "纸坊街道").party_org == "中共纸坊街道工作委员会"
    assert reg.get("community", "文化路社区").parent == "纸坊街道"
    assert reg.get("person", "李建国").role == "社区党委副书记"  # as the examples name him
    typo = {**answers, "compound_name": "江南花山君"}
    with pytest.raises(ValidationError) as info:
        app.make("branch-founding-request", typo, archive=False)
    assert [p.as_text() for p in info.value.problems] == [
        "【小区名称】（compound_name）“江南花山君”不在组织登记中。您是不是要写：江南花山郡？"
        "如确是新的小区，请先用 sanfang org add compound 登记"]
    # A clearly different name is a new compound: taken, and registered once filed.
    app.make("branch-founding-request", {**answers, "compound_name": "金色港湾三期"})
    assert reg.get("compound", "金色港湾三期")


def test_conversation_offers_registered_entries_under_what_is_known(app: Sanfang) -> None:
    app.organisations.import_csv(CSV + "社区,兴新街社区,纸坊街道,中共兴新街社区委员会,,,\n")
    convo = app.conversation("branch-founding", {}, "branch-founding-request", keep_draft=False)
    street = convo.current().offers["street_name"]
    assert [(o.label, o.values) for o in street] == [
        ("纸坊街道（中共纸坊街道工作委员会）", {"street_name": "纸坊街道", "street_party_org": "中共纸坊街道工作委员会"})]
    problems = convo.submit({"street_name": "纸防街道", "street_party_org": "中共纸坊街道工作委员会"})
    assert problems[0].rule == "new-org" and "您是不是要写：纸坊街道？" in problems[0].message
    assert not convo.submit(street[0].values)
    assert [o.values["community_name"] for o in convo.current().offers["community_name"]] == ["兴新街社区", "文化路社区"]


def test_cli_org_commands(cli, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "orgs.csv"
    path.write_text(CSV, encoding="utf-8-sig")  # as a spreadsheet saves “CSV UTF-8”
    assert "已导入 3 条" in cli("org", "import", path).output
    added = cli("org", "add", "person", "陈静", "--parent", "纸坊街道", "--role", "党建办主任", "--phone", "027-87951234")
    assert added.exit_code == 0 and "已登记：人员  陈静（纸坊街道）  党建办主任  027-87951234" in added.output
    listed = cli("org", "list").output.splitlines()
    assert listed[0].startswith("街道") and listed[-1].startswith("人员")
    bad = cli("org", "add", "楼栋", "3栋")
    assert bad.exit_code == 1 and "组织类型“楼栋”无效" in bad.output


def test_people_named_before_are_offered_with_their_role(app: Sanfang) -> None:
    answers = example("branch-founding", "secretary-only")
    app.make("branch-founding-reply", answers)  # files 李建国 (convener) and 陈静 (street contact)
    partial = {k: v for k, v in answers.items() if k not in ("convener_name", "convener_title")}
    convo = app.conversation("branch-founding", partial, "branch-founding-request", keep_draft=False)
    step = convo.current()
    assert step.screen.question == "筹备工作"
    (offer,) = step.offers["convener_name"]
    assert offer.label == "李建国，社区党委副书记"
    assert offer.values == {"convener_name": "李建国", "convener_title": "社区党委副书记"}
    assert not convo.submit(offer.values)


def test_a_picked_compound_brings_its_owners_body(app: Sanfang) -> None:
    app.organisations.import_csv(CSV)
    answers = {k: v for k, v in example("joint-meeting-rules", "owners-committee").items()
               if k in ("street_name", "street_party_org", "community_name", "community_party_org")}
    convo = app.conversation("joint-meeting-rules", answers, "joint-meeting-rules", keep_draft=False)
    while "compound_name" not in convo.current().offers:
        step = convo.current()
        assert not step.screen.review, "the compound screen never came"
        convo.submit({})
    (offer,) = convo.current().offers["compound_name"]
    assert offer.values["owners_body"] == "owners_committee"
    assert not convo.submit(offer.values)
    assert "代表业主" not in convo.current().screen.question  # answered by the pick
    assert convo.answers["owners_body"] == "owners_committee"
