"""Shared fixtures of the intake tests: one workspace with three filed records and realistic
scans of their pages, copied fresh for every test (making it costs seconds, copying it not)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image

from sanfang_docs.api import Sanfang
from tests import scans
from tests.conftest import example

KEYS = {"A": ("branch-founding-request", "branch-founding", "with-committee"),
        "B": ("branch-founding-reply", "branch-founding", "with-committee"),
        "C": ("cross-certificate", "cross-appointment", "committee-member")}


@dataclass
class Base:
    home: Path
    numbers: dict[str, str]  # A/B/C → 档号
    pages: dict[str, list[Image.Image]]  # A/B/C → scanned pages at 150 dpi
    foreign: list[Image.Image]  # pages of a record filed in another workspace


@pytest.fixture(scope="session")
def intake_base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    root = tmp_path_factory.mktemp("intake-base")
    app = Sanfang(root / "ws")
    numbers, pages = {}, {}
    for name, (key, interview, branch) in KEYS.items():
        record = app.make(key, example(interview, branch)).record
        assert record is not None
        numbers[name] = record.archive_no
        raw = scans.pages(record.file("document.pdf").read_bytes(), 150)
        pages[name] = [scans.scanned(p, seed=i, angle=(-1) ** i * 3.5) for i, p in enumerate(raw)]
    other = Sanfang(root / "other")
    for _ in range(4):  # a 件号 past those of the main workspace
        made = other.make("cross-certificate", example("cross-appointment", "committee-member")).record
    assert made is not None
    foreign = [scans.scanned(p) for p in scans.pages(made.file("document.pdf").read_bytes(), 150)]
    return Base(root / "ws", numbers, pages, foreign)


@pytest.fixture
def ws(intake_base: Base, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Sanfang, Base]:
    home = tmp_path / "ws"
    shutil.copytree(intake_base.home, home, symlinks=True)
    monkeypatch.setenv("SANFANG_HOME", str(home))
    return Sanfang(home), Base(home, intake_base.numbers, intake_base.pages, intake_base.foreign)


def where_is_everything(app: Sanfang) -> tuple[dict[str, list[str]], list[str]]:
    """Scans (not OCR text) per 档号 and the quarantine's names."""
    filed = {r.archive_no: sorted(k for k in r.meta["files"] if k.startswith("scans/") and not k.endswith(".txt"))
             for r in app.archive.records()}
    return {k: v for k, v in filed.items() if v}, [i.name for i in app.quarantine_list()]
