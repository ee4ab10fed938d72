"""What answers-as-state costs a person: one screen of a Conversation (replay from the top, then
the run-ahead that gives 共约 m 步) against the answers-file runner's single pass over the same
interview, in the same warm process. Medians and the ratio.

    .venv/bin/python bench/bench_conversation.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import yaml

from sanfang_docs.interview import load
from sanfang_docs.interview.conversation import Conversation
from sanfang_docs.interview.drive import run

REPO = Path(__file__).resolve().parent.parent
NOTICE = {"doc_key": "branch-election-notice"}  # the last document: every screen of 示范文本1


def whole_interview(answers: dict[str, Any]) -> tuple[float, list[float]]:
    """Seconds for a person's whole interview, and the milliseconds of each screen (submit + next)."""
    iv = load("branch-founding")
    per_screen = []
    start = time.perf_counter()
    convo = Conversation(iv, {}, NOTICE)
    while not convo.finished:
        t = time.perf_counter()
        step = convo.current()
        convo.submit({f.name: answers[f.name] for f in step.screen.fields if f.name in answers})
        per_screen.append((time.perf_counter() - t) * 1000)
    return time.perf_counter() - start, per_screen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    answers = yaml.safe_load((REPO / "examples/branch-founding/with-committee.yaml").read_text(encoding="utf-8"))
    iv = load("branch-founding")
    run(iv, answers, NOTICE)  # warm: templates and code compiled once per process
    whole_interview(answers)
    passes, screens, totals = [], [], []
    for _ in range(args.runs):
        t = time.perf_counter()
        run(iv, answers, NOTICE)
        passes.append((time.perf_counter() - t) * 1000)
        total, per_screen = whole_interview(answers)
        totals.append(total * 1000)
        screens.extend(per_screen)
    one_pass, one_screen = statistics.median(passes), statistics.median(screens)
    print(f"screens: {len(screens) // args.runs}")
    print(f"answers-file run, one pass:          {one_pass:8.1f} ms")
    print(f"conversation, one screen (median):   {one_screen:8.1f} ms   ({one_screen / one_pass:.1f}× a pass)")
    print(f"conversation, slowest screen:        {max(screens):8.1f} ms")
    print(f"conversation, whole interview:       {statistics.median(totals):8.1f} ms")


if __name__ == "__main__":
    main()
