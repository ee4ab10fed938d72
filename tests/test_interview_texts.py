"""The interview engine hands a text with no Mako in it back as it is, without Mako
(interview/runner._plain): for every text of every interview, that is what Mako gives too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from mako.template import Template

from sanfang_docs.interview.runner import _plain

INTERVIEWS = Path(__file__).resolve().parent.parent / "interviews"


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _texts(key)
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)


def test_every_plain_text_renders_as_itself_in_mako() -> None:
    plain = 0
    for path in sorted(INTERVIEWS.rglob("*.yml")):
        for block in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            for text in _texts(block):
                if _plain(text):
                    plain += 1
                    assert Template(text, default_filters=["str"]).render() == text, (path.name, text)
    assert plain > 500  # most labels, hints and choices


def test_mako_texts_are_not_taken_for_plain() -> None:
    for text in ("${ community_name }", "% if x:\n是\n% endif", "<%text>x</%text>", "## 注释", "行尾\\\n续行"):
        assert not _plain(text)
