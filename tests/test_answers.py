"""Answers files are read with bounded work, and every answer passes one gate before any code,
template or renderer sees it: a refusal names the field's label and key and the rule (exit 2)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import docx
import pytest
import yaml

from sanfang_docs.errors import Problem, ValidationError
from sanfang_docs.interview.answers_file import MAX_FILE_BYTES, parse_answers, read_answers
from tests.conftest import EXAMPLES, example

CERT = "cross-certificate"
BASE = EXAMPLES / "cross-appointment" / "committee-cadre.yaml"


def refused(text: str, as_json: bool = False) -> Problem:
    with pytest.raises(ValidationError) as info:
        parse_answers(text, as_json)
    (problem,) = info.value.problems
    return problem


def with_line(tmp_path: Path, line: str, base: Path = BASE) -> Path:
    """The example answers file with one key's line replaced by ``line`` (raw YAML)."""
    key = line.split(":")[0]
    kept = [ln for ln in base.read_text(encoding="utf-8").splitlines() if not ln.startswith(f"{key}:")]
    path = tmp_path / "answers.yaml"
    path.write_text("\n".join([*kept, line]) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- the answers file


@pytest.mark.parametrize(("text", "key", "rule", "words"), [
    ("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
     "d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n", "c", "alias", "别名"),
    ("a: " + "[" * 20000 + "]" * 20000, "a", "depth", "嵌套"),
    ("a: !!binary aGVsbG8=", "a", "tag", "!!binary"),
    ("a: !!set {x, y}", "a", "tag", "!!set"),
    ("a: !!python/object:os.system ls", "a", "tag", "!!python"),
    ("a: !custom x", "a", "tag", "!custom"),
    ("street_name: 一\nstreet_name: 二\n", "street_name", "duplicate", "不止一次"),
    ("a: 1\n---\nb: 2\n", "a", "format", "YAML"),
    ("a: 1\ncompound_name: 江南\x07花山郡\n", "compound_name", "characters", "第 2 行有控制字符 U+0007"),
    ("a: 1\n\x00", "", "characters", "U+0000"),
])
def test_yaml_that_is_not_plain_answers_is_refused(text: str, key: str, rule: str, words: str) -> None:
    problem = refused(text)
    assert (problem.field, problem.key, problem.rule) == ("答案文件", key, rule)
    assert words in problem.message


@pytest.mark.parametrize(("text", "rule"), [
    ('{"street_name": "一", "street_name": "二"}', "duplicate"),
    ('{"a": ' + "[" * 100000 + "]" * 100000 + "}", "depth"),
    ('{"a": [[[[[[[[[[1]]]]]]]]]]}', "depth"),
    ('{"a": 1,}', "format"),
])
def test_json_likewise(text: str, rule: str) -> None:
    assert refused(text, as_json=True).rule == rule


def test_values_the_field_layer_judges_are_left_as_written() -> None:
    data = parse_answers('a: 2025-02-30\nb: 2026-03-05\nc: ' + "9" * 5000 + "\nd: .nan\ne: 7\nyes: true\n")
    assert data["a"] == "2025-02-30" and data["b"] == "2026-03-05" and data["c"] == "9" * 5000
    assert data["d"] != data["d"] and data["e"] == 7 and data["yes"] is True  # keys are names, never booleans
    pair = parse_answers('{"a": "\\ud83d\\ude00", "b": "\\ud83d", "c": ' + "9" * 5000 + "}", as_json=True)
    assert pair == {"a": "😀", "b": "\ud83d", "c": "9" * 5000}
    assert parse_answers("base: &b {x: 1}\nc:\n  <<: *b\n  y: 2\n")["c"] == {"x": 1, "y": 2}


def test_file_size_is_capped_whatever_the_file(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # 50 MB (sparse): only the cap is ever read
    started = time.perf_counter()
    with pytest.raises(ValidationError) as info:
        read_answers(big)
    assert info.value.problems[0].rule == "size" and time.perf_counter() - started < 5  # no hang
    for device in ("/dev/zero", tmp_path):
        with pytest.raises(ValidationError) as info:
            read_answers(device)
        assert info.value.problems[0].rule == "file"
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("a: 纸坊".encode("gb18030"))
    with pytest.raises(ValidationError) as info:
        read_answers(latin1)
    assert info.value.problems[0].rule == "encoding"
    assert MAX_FILE_BYTES >= 100 * max(p.stat().st_size for p in EXAMPLES.glob("*/*.yaml"))


# ---------------------------------------------------------------- the field layer, through make


@pytest.mark.parametrize(("line", "doc", "message"), [
    ('cert_person_name: "陈\\0燕"', CERT, "【姓名】（cert_person_name）第 2 个字符是控制字符（U+0000）"),
    ('cert_person_name: "陈\\e[31m燕"', CERT, "控制字符（U+001B）"),
    ('cert_person_name: "陈😀燕"', CERT, "表情符号（U+1F600）"),
    ('cert_person_name: "陈\\ue000燕"', CERT, "私用区字符（U+E000）"),
    ('cert_person_name: "陈\\ud83d燕"', CERT, "不成对的代理码位"),
    ('cert_person_name: "陈\\u200b燕"', CERT, "不可见的格式字符（U+200B）"),
    ('cert_person_name: "张三1"', CERT, "【姓名】（cert_person_name）姓名只能由汉字（含生僻字）、间隔号“·”和拉丁字母组成"),
    ('cert_person_post: "社区党委委员\\n居委会委员"', CERT, "（cert_person_post）只能写一行，不能换行"),
    ('street_name: "纸坊\\v街道"', CERT, "（street_name）第 3 个字符是控制字符（U+000B）"),
    ('street_name: "纸坊\\u0915街道"', CERT, "本机字体无法打印"),
    ("street_name: " + "纸" * 300, CERT, "（street_name）最多 200 个字"),
    ("doc_date: 9999-12-31", CERT, "【成文日期】（doc_date）日期不能晚于 2099-12-31"),
    ("doc_date: 2025-02-30", CERT, "【成文日期】（doc_date）不存在的日期“2025-02-30”"),
    ("rc_term_end_year: " + "9" * 5000, "residents-committee-letter", "（rc_term_end_year）数字位数过多"),
    ("rc_term_end_year: .nan", "residents-committee-letter", "（rc_term_end_year）“nan”不是有限的数字"),
    ("street_name: !!binary aGVsbG8=", CERT, "【答案文件】（street_name）不支持 YAML 标记 !!binary"),
    ('street_name: "纸坊街道\t "', CERT, None),  # pasted trailing whitespace: stripped, as always
    ('cert_person_name: "阿依古丽·买买提"', CERT, None),
    ('cert_person_name: "Mary Smith"', CERT, None),
    ("notice_issuer: \ue000\ue001\ue002", "quality-supervisor-letter", "不是访谈"),  # no such question: refused by its key
    ("street_office_name: \ue000\ue001", "residents-committee-letter", "私用区字符"),  # the issuer: refused
])
def test_bad_answer_is_refused_at_its_field(cli: Any, home: Path, tmp_path: Path, line: str, doc: str,
                                            message: str | None) -> None:
    result = cli("make", doc, "--answers", with_line(tmp_path, line))
    if message is None:
        assert result.exit_code == 0, result.output
        return
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output
    assert not home.exists()  # nothing filed, nothing half-written


@pytest.mark.parametrize("doc", ["owners-branch-notice", "community-branch-notice", "cross-certificate",
                                 "resident-matter-form", "branch-election-notice"])
def test_missing_answers_are_listed_even_where_code_needs_them(cli: Any, tmp_path: Path, doc: str) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    for answers in (empty, with_line(tmp_path, "street_name: 纸坊街道", base=empty)):
        result = cli("make", doc, "--answers", answers, "--no-archive")
        assert result.exit_code == 2, result.output
        assert "必须填写" in result.output and "运行出错" not in result.output


def test_rare_characters_in_a_name_print_in_pdf_and_docx(cli: Any, tmp_path: Path) -> None:
    name = "陈𠀀燕𪚥"  # CJK Extension B: in none of the 公文 faces, so from the fallback face
    result = cli("make", CERT, "--answers", with_line(tmp_path, f"cert_person_name: {name}"),
                 "--no-archive", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    import pdfminer.high_level

    assert name in pdfminer.high_level.extract_text(str(tmp_path / "out" / f"{CERT}.pdf"))
    runs = [r for p in docx.Document(str(tmp_path / "out" / f"{CERT}.docx")).paragraphs for r in p.runs]
    rare = [r for r in runs if "𠀀" in r.text]
    assert rare and all(r.element.rPr.rFonts.get(docx.oxml.ns.qn("w:eastAsia")) != "Noto Serif CJK SC" for r in rare)


def test_a_json_answers_file_with_a_surrogate_pair_is_the_emoji_and_refused(cli: Any, tmp_path: Path) -> None:
    answers = example("cross-appointment", "committee-cadre")
    text = json.dumps(answers, default=str).replace('"\\u9648\\u5c0f\\u71d5"', '"\\u9648\\ud83d\\ude00"')
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    result = cli("make", CERT, "--answers", path, "--no-archive")
    assert result.exit_code == 2 and "表情符号（U+1F600）" in result.output, result.output


def test_problem_text_names_label_and_key() -> None:
    assert Problem("姓名", "name", "不对", key="cert_person_name").as_text() == "【姓名】（cert_person_name）不对"
    assert Problem("来源档号", "case", "不对").as_text() == "【来源档号】不对"


def test_examples_still_pass_the_gate() -> None:
    for path in EXAMPLES.glob("*/*.yaml"):
        assert read_answers(path) == {k: (v.isoformat() if hasattr(v, "isoformat") else v)
                                      for k, v in yaml.safe_load(path.read_text(encoding="utf-8")).items()}


def test_an_issuer_with_rare_characters_signs_and_verifies(app: Any) -> None:
    # 𫝀 (Extension D) is "unassigned" to the LDAP string preparation validators apply to X.509
    # names: the certificate writes it as 〓, the record and the stamp keep who signed.
    from sanfang_docs.api import read_answers

    for issuer in ("中共文化路𠀀社区委员会", "江夏区𪚥𫝀业主委员会"):
        outcome = app.run_interview("cross-appointment", read_answers(BASE), CERT)
        outcome.documents[0].issuer = issuer
        made = app.produce(outcome)
        assert made.record.meta["signature"]["organisation"] == issuer
    report = app.verify()
    assert report.ok, [p.as_text() for p in report.problems]
