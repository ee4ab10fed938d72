"""Whole commands, each a new process (what a clerk at a terminal waits for): `sanfang make`,
`catalog` and `search`, against LibreOffice converting the same DOCX in the same run, and
optionally against another checkout of the code (``--baseline``), runs alternating.

    .venv/bin/python bench/bench_cold.py [--runs 5] [--search-home WS] [--baseline /path/to/old/checkout]

Each figure is the median over the runs of the finished child's own accounting (user + system
CPU) and a monotonic wall clock around it. Python's bytecode should be compiled in both
checkouts (``python -m compileall sanfang_docs``), as an installed package has it: with
PYTHONDONTWRITEBYTECODE set, every module would be compiled again in every process.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ANSWERS = REPO / "examples" / "branch-founding" / "with-committee.yaml"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall s, CPU s) of one whole process."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}")
    return wall, usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline", type=Path, help="another checkout to time the same commands from")
    ap.add_argument("--search-home", type=Path, help="a workspace with an index for the cold search")
    ap.add_argument("--query", default="选举结果 江南花山郡")
    args = ap.parse_args()
    sanfang = str(Path(sys.executable).with_name("sanfang"))
    work = Path(tempfile.mkdtemp(prefix="sanfang-bench-cold-"))
    home = work / "ws"
    trees = {"this": REPO, **({"baseline": args.baseline} if args.baseline else {})}
    envs = {name: {**os.environ, "PYTHONPATH": str(tree)} for name, tree in trees.items()}
    make = [sanfang, "make", "branch-founding-request", "--answers", str(ANSWERS), "--home", str(home)]
    # One filing first (keys, the index, the caches in ~/.cache/sanfang-docs), and the DOCX
    # LibreOffice converts.
    subprocess.run([*make, "--out", str(work / "out")], env=envs["this"], check=True, capture_output=True)
    docx = work / "out" / "branch-founding-request.docx"
    profile = f"-env:UserInstallation=file://{work / 'lo-profile'}"
    soffice = ["soffice", profile, "--headless", "--convert-to", "pdf", "--outdir", str(work / "lo"), str(docx)]
    subprocess.run(soffice, check=True, capture_output=True)  # LibreOffice's first start makes its profile
    commands: dict[str, tuple[list[str], dict[str, str]]] = {}
    for name, env in envs.items():
        commands[f"make ({name})"] = (make, env)
        commands[f"catalog ({name})"] = ([sanfang, "catalog", "--home", str(home)], env)
        if args.search_home:
            commands[f"search ({name})"] = ([sanfang, "search", *args.query.split(), "--home", str(args.search_home)],
                                            env)
    commands["soffice DOCX→PDF"] = (soffice, dict(os.environ))
    got: dict[str, list[tuple[float, float]]] = {k: [] for k in commands}
    loads = []
    for _ in range(args.runs):
        loads.append(os.getloadavg()[0])
        for name, (cmd, env) in commands.items():
            got[name].append(timed(cmd, env))
    lo = statistics.median(w for w, _ in got["soffice DOCX→PDF"])
    print(f"\n{args.runs} runs, load average {min(loads):.1f}–{max(loads):.1f}\n")
    print("| command (whole process) | wall s (median) | CPU s (median) | soffice wall ÷ this |")
    print("| --- | ---: | ---: | ---: |")
    for name, rs in got.items():
        wall, used = statistics.median(w for w, _ in rs), statistics.median(c for _, c in rs)
        print(f"| {name} | {wall:.2f} | {used:.2f} | {lo / wall:.1f}× |")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
