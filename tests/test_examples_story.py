"""The shipped examples are one coherent fictional district (issue 10, point 11): the demo archive,
the search and the bundles tell one story only if no two answer sets contradict each other."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from tests.conftest import example, example_sets

SETS = {f"{iv}/{branch}": example(iv, branch) for iv, branch in example_sets()}


def _one_each(key: str, of: str, sets: dict[str, dict[str, Any]]) -> dict[str, dict[str, set[str]]]:
    """For every value of ``key``, the values ``of`` takes (with where), where there is more than one."""
    seen: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for where, answers in sets.items():
        if answers.get(key) and answers.get(of):
            seen[str(answers[key])][str(answers[of])].add(where)
    return {k: dict(v) for k, v in seen.items() if len(v) > 1}


@pytest.mark.parametrize(("key", "of"), [
    ("compound_name", "street_name"), ("compound_name", "community_name"), ("compound_name", "owners_body"),
    ("community_name", "street_name"), ("community_name", "community_party_org"), ("street_name", "street_party_org"),
])
def test_each_place_has_one_parent_and_one_owners_body(key: str, of: str) -> None:
    assert _one_each(key, of, SETS) == {}


def _posts() -> dict[str, set[str]]:
    """“post → people” from every 姓名 职务 line and every single post answer of the examples."""
    out: dict[str, set[str]] = defaultdict(set)
    for answers in SETS.values():
        for value in answers.values():
            if isinstance(value, str) and "\n" in value.strip():
                for line in value.strip().splitlines():
                    name, _, post = line.strip().partition(" ")
                    out[post.strip()].add(name)
        if answers.get("rc_appointee_post"):
            out[answers["rc_appointee_post"]].add(answers["rc_appointee_name"])
    return out


def test_one_owners_committee_chair_and_one_project_manager_per_compound() -> None:
    """Once two 业委会主任 and two 项目经理 of one compound appeared on one day."""
    sole = {post: names for post, names in _posts().items()
            if post.endswith(("业主委员会主任", "物业管理委员会主任", "项目经理")) and len(names) > 1}
    assert sole == {}


def test_one_quarterly_notice_per_compound_and_quarter() -> None:
    """Once two different 第三季度实事公示 were filed for one compound."""
    notices: dict[tuple[str, str], set[str]] = defaultdict(set)
    for where, answers in SETS.items():
        if where.startswith("resident-matter/"):  # each files a 登记表 and its quarter's 实事公示
            notices[(answers["compound_name"], f"{answers['notice_year']}Q{answers['notice_quarter']}")].add(where)
    assert notices
    assert all(len(v) == 1 for v in notices.values()), notices
