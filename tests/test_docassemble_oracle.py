"""docassemble itself is the oracle for our interview runner.

For every ``interviews/*.yml`` (common.yml aside): docassemble.base 1.10.5 parses it, and for
every example answer set ``examples/<interview>/*.yaml`` and every document key in the
interview's ``metadata: documents``, docassemble asks the same screens, in the same order, as
``sanfang_docs.interview.drive`` does with that ``doc_key`` preset, and ends on the same
attachment.

docassemble runs in its own cached virtualenv (tests/oracle/venv.py; built on first use, about
2.5 minutes; needs Debian's libzbar0 and pandoc) through ONE subprocess per module: all cases
go to tests/oracle/da_driver.py as one JSON batch. Nothing here is skipped: a venv that
cannot be built fails the tests.
"""

from __future__ import annotations

import datetime
import difflib
import importlib.util
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from sanfang_docs.interview.drive import run as drive_run
from sanfang_docs.interview.loader import available, load

# All of this module on one xdist worker (with `--dist loadgroup`), so docassemble runs once.
pytestmark = pytest.mark.xdist_group("docassemble-oracle")

REPO = Path(__file__).resolve().parent.parent
INTERVIEWS = REPO / "interviews"
TEMPLATES = REPO / "templates"
EXAMPLES = REPO / "examples"
ORACLE = Path(__file__).resolve().parent / "oracle"
DRIVER_TIMEOUT = 900  # seconds, for the whole batch (parsing is ~30 ms, a screen ~5 ms)

# Negative controls, sent in the same batch: an interview with two outline lines swapped
# (docassemble must then ask in another order), one with a Python syntax error (docassemble
# must refuse to parse it), one with a misspelt block key (docassemble ignores the key but
# says so; we fail on that), and an answer that the validation code must reject.
SWAPPED = "zz-oracle-swapped"
BROKEN = "zz-oracle-broken"
MISSPELT = "zz-oracle-misspelt"
REJECTED = "zz-oracle-rejected"
UNKNOWN_KEY = "Ignoring unknown dictionary key"


def _load_oracle_venv_module():
    spec = importlib.util.spec_from_file_location("sanfang_oracle_venv", ORACLE / "venv.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _interviews() -> list[str]:
    return available(INTERVIEWS)


def _examples(interview: str) -> list[Path]:
    return sorted((EXAMPLES / interview).glob("*.yaml"))


def _documents(interview: str) -> list[str]:
    return [str(d) for d in (load(interview, INTERVIEWS).metadata.get("documents") or [])]


def _answers(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    assert isinstance(data, dict), f"{path}: an answers file is a YAML mapping"
    return data


def _cases() -> list[tuple[str, str, str]]:
    return [(iv, ex.stem, key) for iv in _interviews() for ex in _examples(iv) for key in _documents(iv)]


def _case_id(interview: str, example: str, doc_key: str) -> str:
    return f"{interview}/{example}/{doc_key}"


def _to_json(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        raise TypeError(f"datetime answers are not supported: {value!r}")
    if isinstance(value, datetime.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_json(v) for v in value]
    return value


def _swap_outline(text: str, preset: dict[str, Any]) -> tuple[str, tuple[str, str]] | None:
    """Swap the first two adjacent bare-variable lines of the first ``mandatory: True`` code
    block (neither preset): the order of two asked questions changes."""
    blocks = re.split(r"(?m)^---[ \t]*$", text)
    for i, block in enumerate(blocks):
        if not re.search(r"(?m)^mandatory:\s*True\s*$", block) or not re.search(r"(?m)^code:\s*\|", block):
            continue
        lines = block.split("\n")
        for j in range(len(lines) - 1):
            a, b = lines[j], lines[j + 1]
            ma, mb = re.fullmatch(r"(\s+)([A-Za-z_]\w*)\s*", a), re.fullmatch(r"(\s+)([A-Za-z_]\w*)\s*", b)
            if ma and mb and ma.group(1) == mb.group(1) and ma.group(2) != mb.group(2) \
                    and ma.group(2) not in preset and mb.group(2) not in preset:
                lines[j], lines[j + 1] = b, a
                blocks[i] = "\n".join(lines)
                return "---".join(blocks), (ma.group(2), mb.group(2))
    return None


@pytest.fixture(scope="module")
def oracle(tmp_path_factory) -> dict[str, Any]:
    """Everything docassemble says, from one subprocess: parse results, screens per case, and
    the negative controls."""
    venv = _load_oracle_venv_module()
    try:
        python = venv.ensure()
    except venv.VenvError as err:
        pytest.fail(f"could not build the docassemble venv: {err}")

    work = tmp_path_factory.mktemp("da-oracle")
    interviews_dir = work / "interviews"
    shutil.copytree(INTERVIEWS, interviews_dir)

    cases = []
    for interview, example, doc_key in _cases():
        cases.append({"id": _case_id(interview, example, doc_key), "interview": interview,
                      "answers": _to_json(_answers(EXAMPLES / interview / f"{example}.yaml")),
                      "preset": {"doc_key": doc_key}})

    # Negative control 1: the first interview / example / document whose outline can be swapped.
    control = None
    for interview, example, doc_key in _cases():
        swapped = _swap_outline((INTERVIEWS / f"{interview}.yml").read_text(encoding="utf-8"), {"doc_key": doc_key})
        if swapped:
            (interviews_dir / f"{SWAPPED}.yml").write_text(swapped[0], encoding="utf-8")
            control = {"interview": interview, "example": example, "doc_key": doc_key, "swapped": swapped[1]}
            cases.append({"id": SWAPPED, "interview": SWAPPED,
                          "answers": _to_json(_answers(EXAMPLES / interview / f"{example}.yaml")),
                          "preset": {"doc_key": doc_key}})
            break

    # Negative controls 2 and 3: a Python syntax error; a misspelt block key ("subqestion").
    (interviews_dir / f"{BROKEN}.yml").write_text(
        "include:\n  - common.yml\n---\nmandatory: True\ncode: |\n  if street_name\n    x = 1\n", encoding="utf-8")
    (interviews_dir / f"{MISSPELT}.yml").write_text(
        "include:\n  - common.yml\n---\nmandatory: True\nquestion: 完\nsubqestion: 拼错的键\n", encoding="utf-8")

    # Negative control 4: docassemble's own validation_error must reject n = 1.
    (interviews_dir / f"{REJECTED}.yml").write_text(
        "include:\n  - common.yml\n---\nmandatory: True\ncode: |\n  n\n---\nquestion: N\nfields:\n"
        "  - N: n\n    datatype: integer\nvalidation code: |\n  if n < 3:\n"
        "    validation_error(\"太少\", field=\"n\")\n---\nmandatory: True\nquestion: 完\n", encoding="utf-8")
    cases.append({"id": REJECTED, "interview": REJECTED, "answers": {"n": 1}, "preset": {}})

    request = {"interviews_dir": str(interviews_dir), "templates_dir": str(TEMPLATES), "repo": str(REPO),
               "parse": [*_interviews(), BROKEN, MISSPELT], "cases": cases}
    proc = subprocess.run([str(python), str(ORACLE / "da_driver.py")], input=json.dumps(request, ensure_ascii=False),
                          capture_output=True, text=True, timeout=DRIVER_TIMEOUT, cwd=str(work))
    if proc.returncode != 0:
        pytest.fail(f"da_driver.py failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"da_driver.py printed no JSON:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    result["control"] = control
    result["control_dir"] = interviews_dir
    return result


def _fmt(screens: list[list[str]]) -> list[str]:
    return [f"{i + 1:3d}. {', '.join(s)}" for i, s in enumerate(screens)]


def _diff(ours: list[list[str]], da: dict[str, Any]) -> str:
    theirs = da["screens"]
    diff = "\n".join(difflib.unified_diff(_fmt(ours), _fmt(theirs), "our runner (drive.trace)",
                                          "docassemble 1.10.5", lineterm=""))
    asked = "\n".join(f"{i + 1:3d}. {q}" for i, q in enumerate(da.get("questions") or []))
    return f"{diff}\n\ndocassemble's questions, in order:\n{asked}"


def test_interviews_found():
    assert _interviews(), f"no interviews in {INTERVIEWS}"


@pytest.mark.parametrize("interview", _interviews())
def test_interview_has_examples_and_documents(interview):
    assert _examples(interview), f"examples/{interview}/*.yaml: no example answers, so the oracle cannot check it"
    assert _documents(interview), f"interviews/{interview}.yml: metadata has no documents"


@pytest.mark.parametrize("interview", _interviews())
def test_docassemble_parses(oracle, interview):
    assert interview in oracle["parse"], "the driver did not report this interview"
    parsed = oracle["parse"][interview]
    assert parsed["error"] is None, f"docassemble cannot parse interviews/{interview}.yml:\n{parsed['error']}"
    unknown = [w for w in parsed["warnings"] if UNKNOWN_KEY in w]
    assert not unknown, f"docassemble ignores keys in interviews/{interview}.yml:\n" + "\n".join(unknown)


@pytest.mark.parametrize(("interview", "example", "doc_key"), _cases(), ids=[_case_id(*c) for c in _cases()])
def test_same_screens_as_docassemble(oracle, interview, example, doc_key):
    da = oracle["cases"][_case_id(interview, example, doc_key)]
    outcome = drive_run(load(interview, INTERVIEWS), _answers(EXAMPLES / interview / f"{example}.yaml"),
                        preset={"doc_key": doc_key})
    ours = outcome.screens
    assert da["error"] is None, (
        f"docassemble failed after {len(da['screens'])} screens:\n{da['error']}\n"
        + _diff(ours, da))
    assert ours == da["screens"], f"the screens differ:\n{_diff(ours, da)}"
    assert da["final"] is not None
    assert [d.key for d in outcome.documents] == da["final"]["attachments"], (
        f"final attachments differ: ours {[d.key for d in outcome.documents]}, "
        f"docassemble {da['final']['attachments']}")


def test_negative_control_swapped_outline(oracle):
    """The oracle can fail: with two outline lines swapped, docassemble asks in another order
    than our runner does on the original (and in the same order as our runner on the variant)."""
    control = oracle["control"]
    assert control, "no interview has two adjacent bare-variable lines in a mandatory code block to swap"
    da = oracle["cases"][SWAPPED]
    assert da["error"] is None, da["error"]
    answers = _answers(EXAMPLES / control["interview"] / f"{control['example']}.yaml")
    preset = {"doc_key": control["doc_key"]}
    original = drive_run(load(control["interview"], INTERVIEWS), answers, preset=preset).screens
    assert da["screens"] != original, f"swapping {control['swapped']} changed nothing in docassemble"
    variant = drive_run(load(SWAPPED, oracle["control_dir"]), answers, preset=preset).screens
    assert da["screens"] == variant, f"on the swapped variant:\n{_diff(variant, da)}"


def test_negative_control_parse_error(oracle):
    error = oracle["parse"][BROKEN]["error"]
    assert error and "SyntaxError" in error, f"docassemble accepted a Python syntax error: {error!r}"


def test_negative_control_misspelt_key(oracle):
    parsed = oracle["parse"][MISSPELT]
    assert parsed["error"] is None
    assert any(UNKNOWN_KEY in w and "subqestion" in w for w in parsed["warnings"]), parsed["warnings"]


def test_negative_control_validation_rejects(oracle):
    da = oracle["cases"][REJECTED]
    assert da["screens"] == [["n"]], da
    assert da["error"] and "DAValidationError: 太少" in da["error"], da["error"]
