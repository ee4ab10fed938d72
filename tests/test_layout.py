"""The house (DESIGN.md "Layout"): the import-linter contracts of pyproject.toml hold — every box
imports only boxes below it, the shells only the API, no circles — and no module grows past
~400 lines without saying why at its top."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "sanfang_docs"
MAX_LINES = 420


def test_import_contracts_hold() -> None:
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert lint, "import-linter is a test dependency (pip install -e '.[test]')"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([lint, "--no-cache"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_every_box_says_what_it_may_import() -> None:
    boxes = [p for p in PACKAGE.iterdir() if (p / "__init__.py").exists()]
    assert len(boxes) >= 12
    for box in boxes:
        doc = (box / "__init__.py").read_text(encoding="utf-8")
        assert doc.startswith('"""') and "May import" in doc, box


def test_no_long_module_without_a_reason() -> None:
    for path in PACKAGE.rglob("*.py"):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_LINES:
            head = "\n".join(lines[:15])
            assert "Longer than" in head, f"{path.relative_to(REPO)}: {len(lines)} lines and no reason at its top"
