"""Build (once) the cached virtualenv that holds docassemble.base for the oracle tests.

    python tests/oracle/venv.py          # prints the venv's python; builds it if needed

Where: ``$SANFANG_DA_VENV``, default ``~/.cache/sanfang/da-venv``. Idempotent: a marker file
records a finished build with these exact requirements; with it present nothing is done.
A half-built venv (no marker) is removed and built again. A file lock keeps parallel pytest
workers from building at the same time.

docassemble.base 1.10.5 is the last release for Python 3.11; the venv is made with
``$SANFANG_DA_PYTHON``, else ``python3.11`` on PATH, else the running interpreter (if 3.11).
System packages it needs at import / run time (Debian): libzbar0 (pyzbar, imported by
docassemble.base.util) and pandoc (Markdown attachments on the final screen).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

# The venv's contents; changing this list rebuilds the venv.
REQUIREMENTS = ["docassemble.base==1.10.5", "chinesecalendar>=1.11"]
MARKER = ".sanfang-da-venv-ok"


class VenvError(RuntimeError):
    pass


def venv_dir() -> Path:
    env = os.environ.get("SANFANG_DA_VENV")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "sanfang" / "da-venv"


def venv_python(root: Path | None = None) -> Path:
    return (root or venv_dir()) / "bin" / "python"


def _marker_text() -> str:
    return "\n".join(REQUIREMENTS) + "\n"


def is_ready(root: Path | None = None) -> bool:
    root = root or venv_dir()
    marker = root / MARKER
    return marker.is_file() and marker.read_text() == _marker_text() and venv_python(root).exists()


def _base_python() -> str:
    explicit = os.environ.get("SANFANG_DA_PYTHON")
    if explicit:
        return explicit
    found = shutil.which("python3.11")
    if found:
        return found
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    raise VenvError(
        "docassemble.base 1.10.5 needs Python 3.11; none found "
        "(set SANFANG_DA_PYTHON to a python3.11 interpreter)")


def _run(cmd: list[str], log) -> None:
    print("+", " ".join(cmd), file=log, flush=True)
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.write(proc.stdout)
    log.flush()
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise VenvError(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{tail}")


def ensure(log=None) -> Path:
    """Return the venv's python, building the venv first if it is not ready."""
    log = log or sys.stderr
    root = venv_dir()
    if is_ready(root):
        return venv_python(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    lock_path = root.parent / (root.name + ".lock")
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another worker may be building it right now
        if is_ready(root):
            return venv_python(root)
        started = time.monotonic()
        print(f"building the docassemble venv at {root} (once; about 2 minutes)", file=log, flush=True)
        if root.exists():
            shutil.rmtree(root)
        _run([_base_python(), "-m", "venv", str(root)], log)
        py = str(venv_python(root))
        _run([py, "-m", "pip", "install", "--quiet", "--upgrade", "pip", "wheel", "setuptools<81"], log)
        _run([py, "-m", "pip", "install", "--quiet", *REQUIREMENTS], log)
        # Prove it imports (pyzbar needs libzbar0 from the system).
        _run([py, "-c", "import docassemble.base.config, pyzbar.pyzbar, chinese_calendar"], log)
        (root / MARKER).write_text(_marker_text())
        print(f"docassemble venv ready in {time.monotonic() - started:.0f}s", file=log, flush=True)
    return venv_python(root)


if __name__ == "__main__":
    try:
        print(ensure())
    except VenvError as err:
        sys.exit(str(err))
