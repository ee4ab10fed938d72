"""Shared fixtures. Tests never write into the checkout's own archive/: every test that files
records gets a fresh workspace under tmp_path."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from sanfang_docs.api import Sanfang
from sanfang_docs.cli import main

# Workspaces made by tests sign with 2048-bit keys: the product's 3072-bit default costs ~1 s a
# key, and nearly every test makes a fresh workspace. Tests of key sizes set it themselves.
os.environ.setdefault("SANFANG_KEY_BITS", "2048")

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


def example(interview: str, branch: str) -> dict[str, Any]:
    """An example answer set, e.g. example("branch-founding", "with-committee")."""
    return yaml.safe_load((EXAMPLES / interview / f"{branch}.yaml").read_text(encoding="utf-8"))


def example_sets() -> list[tuple[str, str]]:
    """(interview, branch) for every examples/<interview>/<branch>.yaml."""
    return sorted((p.parent.name, p.stem) for p in EXAMPLES.glob("*/*.yaml"))


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    ws = tmp_path / "ws"
    monkeypatch.setenv("SANFANG_HOME", str(ws))
    return ws


@pytest.fixture
def app(home: Path) -> Sanfang:
    return Sanfang(home)


@pytest.fixture
def cli(home: Path):  # noqa: ANN201 - returns a callable
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Result:
        return runner.invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke
