"""The CLI imports a command's module when that command runs (cli/base.LazyGroup): `--help` still
lists every command, and a command brings only the boxes it needs."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

import sanfang_docs.cli as cli
from sanfang_docs.cli import main

REPO = Path(__file__).resolve().parent.parent


def test_the_table_names_every_command_and_help_lists_them() -> None:
    for mod in pkgutil.iter_modules(cli.__path__):
        if mod.name == "__main__":  # runs the command line
            continue
        importlib.import_module(f"sanfang_docs.cli.{mod.name}")  # each registers its commands
    registered = set(main.commands)
    assert registered == set(main.lazy), "a command module missing from cli/__init__.py's table"
    for name, module in main.lazy.items():
        assert main.commands[name].callback.__module__.startswith(f"sanfang_docs.cli.{module}"), name
    out = CliRunner().invoke(main, ["--help"])
    assert out.exit_code == 0
    listed = {ln.split()[0] for ln in out.output.split("Commands:")[1].splitlines() if ln.strip()}
    assert listed == registered


def _imported_by(args: list[str], home: Path) -> set[str]:
    code = ("import sys, json\nfrom sanfang_docs.cli import main\n"
            f"try:\n    main({args!r}, standalone_mode=False)\nfinally:\n"
            "    print(json.dumps(sorted(sys.modules)), file=sys.stderr)")
    env = {**os.environ, "PYTHONPATH": str(REPO), "SANFANG_HOME": str(home)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_command_imports_only_what_it_needs(tmp_path: Path) -> None:
    modules = _imported_by(["catalog"], tmp_path)
    assert "sanfang_docs.cli.documents" in modules
    for heavy in ("sanfang_docs.search", "sanfang_docs.verify", "sanfang_docs.intake", "sanfang_docs.bundle",
                  "sanfang_docs.web", "sanfang_docs.signing", "sanfang_docs.cli.search", "whoosh", "jieba",
                  "pyhanko", "flask"):
        assert heavy not in modules, heavy
