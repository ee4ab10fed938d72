"""Helpers the per-interview tests share: build a document, collect the problems of a wrong
answer set, vary an example."""

from __future__ import annotations

from typing import Any

import pytest

from sanfang_docs.documents.model import Document
from sanfang_docs.errors import ValidationError
from sanfang_docs.interview import load
from sanfang_docs.interview.drive import run
from tests.conftest import example


def build(interview: str, answers: dict[str, Any], key: str | None = None) -> Document:
    """The document ``key`` (or the interview's only one) from an answer set."""
    return run(load(interview), answers, preset={"doc_key": key} if key else None).documents[0]


def problems(interview: str, answers: dict[str, Any], key: str | None = None) -> list[str]:
    """The clerk's messages (【字段】说明) for an answer set that must be refused."""
    with pytest.raises(ValidationError) as info:
        build(interview, answers, key)
    # 【字段】说明 without the （key）: these tests are about the words; test_answers checks keys.
    return [f"【{p.field}】{p.message}" for p in info.value.problems]


def changed(interview: str, branch: str, **changes: Any) -> dict[str, Any]:
    """An example answer set with some answers replaced."""
    answers = example(interview, branch)
    answers.update(changes)
    return answers
