"""The README tour runs as written: every ``$`` command of its console blocks is run, in order, in
one fresh workspace holding the files the tour shows, and its output must match what the README
prints (``…`` stands for left-out lines or words; timings and the workspace path may differ).
Datasette keeps its documentation true the same way (with cog)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
TOUR_HOME = "/tmp/tour"  # the path the README prints
# Timings differ from run to run.
TIMINGS = [(re.compile(r"用时 [\d.]+ 秒"), "用时 N 秒"), (re.compile(r"（\d+ 毫秒）"), "（N 毫秒）")]


def tour() -> str:
    text = README.read_text(encoding="utf-8")
    return text[text.index("## A short tour"):text.index("## Layout")]


def files(section: str) -> dict[str, str]:
    """The answers files the tour shows: ```yaml a.yaml blocks."""
    return dict(re.findall(r"```yaml (\S+)\n(.*?)```", section, re.S))


def steps(section: str) -> list[tuple[str, str]]:
    """(command, expected output) for every ``$`` line of every console block, in order."""
    found = []
    for block in re.findall(r"```console\n(.*?)```", section, re.S):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, expected = chunk.partition("\n")
            found.append((command, expected))
    return found


def pattern(expected: str) -> re.Pattern[str]:
    parts = []
    for line in expected.splitlines():
        if line.strip() == "…":
            parts.append(r"(?:[^\n]*\n)*?")
            continue
        parts.append(".*?".join(re.escape(piece) for piece in _normal(line).split("…")) + r"\n")
    return re.compile("".join(parts))


def _normal(text: str) -> str:
    for timing, stand_in in TIMINGS:
        text = timing.sub(stand_in, text)
    return text


def test_the_tour_shows_its_files_and_commands() -> None:
    section = tour()
    assert set(files(section)) == {"a.yaml", "reply.yaml", "notice.yaml"}
    assert len(steps(section)) >= 15


@pytest.mark.skipif(not (Path(sys.executable).parent / "sanfang").exists(), reason="needs the console script")
def test_every_command_of_the_tour_prints_what_the_readme_says(tmp_path: Path) -> None:
    section = tour()
    home = tmp_path / "tour"
    home.mkdir()
    (home / "examples").symlink_to(REPO / "examples")
    for name, text in files(section).items():
        (home / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "SANFANG_HOME"}  # the workspace is the directory
    env.update(PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
               PYTHONPATH=os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]),
               PYTHONUNBUFFERED="1")  # stdout and stderr interleave as on a terminal
    status = 0
    for command, expected in steps(section):
        if command == "echo $?":
            out = f"{status}\n"
        else:
            done = subprocess.run(["bash", "-c", command], cwd=home, env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True, timeout=300)
            status, out = done.returncode, done.stdout
        out = _normal(out.replace(str(home), TOUR_HOME))
        if not out.endswith("\n") and out:
            out += "\n"
        assert pattern(expected).fullmatch(out), f"$ {command}\n--- README says:\n{expected}--- it printed:\n{out}"
