"""Property: any answer to any field of any interview is printed literally or refused with
the field named (exit 2) — never a content error (3), a layout error (5) or a crash (70).

Hypothesis draws the document, the field and the value (tests/fuzzkit.py: valid, boundary and
hostile values by the field's type). The budget is fixed and derandomised so CI stays fast
and repeatable; bench/bench_fuzz_answers.py runs the same trials for longer and counts them.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sanfang_docs.api import Sanfang
from tests.fuzzkit import Case, attempt, cases, is_failure, render, values

BUDGET = settings(max_examples=250, deadline=None, derandomize=True, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
RENDER_BUDGET = settings(BUDGET, max_examples=12)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Sanfang:
    return Sanfang(tmp_path_factory.mktemp("fuzz") / "ws")


@pytest.fixture(scope="module")
def all_cases(app: Sanfang) -> tuple[Case, ...]:
    return cases(str(app.workspace.home))


def test_every_document_has_a_case(app: Sanfang, all_cases: tuple[Case, ...]) -> None:
    documents = {(e.interview, k) for e in app.catalog() for k in e.documents}
    assert {(c.interview, c.doc_key) for c in all_cases} == documents


@BUDGET
@given(data=st.data())
def test_any_answer_is_printed_or_refused(app: Sanfang, all_cases: tuple[Case, ...], data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(all_cases), label="case")
    spec = data.draw(st.sampled_from(case.fields), label="field")
    value = data.draw(values(spec), label="value")
    trial = attempt(app, case, spec, value)
    assert not is_failure(trial), (case.doc_key, spec.name, value, trial)


@RENDER_BUDGET
@given(data=st.data())
def test_printed_answers_lay_out_in_pdf_and_docx(app: Sanfang, all_cases: tuple[Case, ...], data: st.DataObject) -> None:
    case = data.draw(st.sampled_from([c for c in all_cases if c.printed]), label="case")
    spec = data.draw(st.sampled_from([f for f in case.fields if f.name in case.printed]), label="field")
    value = data.draw(values(spec), label="value")
    trial = render(app, case, spec, value, app.workspace.home.parent / "out")
    assert not is_failure(trial), (case.doc_key, spec.name, value, trial)
