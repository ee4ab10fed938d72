"""Bad input never crashes, hangs or misfiles: a longer run of the answer fuzzer.

Two parts, both through tests/fuzzkit.py (the CI test runs the first with a small budget):

1. Hypothesis draws a document, one of its fields and a value (valid, boundary or hostile by
   the field's type) and runs the interview as ``sanfang make`` does; ``--render`` of the
   accepted ones are laid out as PDF and DOCX too.
2. A sweep: every field of every document gets each of a fixed list of hostile values.

It prints counts per outcome (ok / refused / anything else, which is a bug), the failures,
the slowest trial and the median per trial, and which defences the loader (answers files)
has, each timed on its worst case. Exit status 1 if any trial failed.

    .venv/bin/python bench/bench_fuzz_answers.py [--examples 2000] [--render 100] [--no-sweep]
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.errors import ValidationError  # noqa: E402
from sanfang_docs.interview.answers_file import parse_answers, read_answers  # noqa: E402
from tests.fuzzkit import EXAMPLES, attempt, cases, is_failure, render, values  # noqa: E402

HOSTILE = ["陈\x00燕", "陈\x1b[31m燕", "陈😀燕", "陈\ue000燕", "陈\ud83d燕", "陈\u202e燕", "陈\n燕", "陈\v燕",
           "𠀀𪚥𰀀", "纸" * 6000, "9" * 5000, "nan", "inf", "1e400", "9999-12-31", "2025-02-30", "0000-00-00",
           "${x}<%%>#*_[]", None, True, 10**40, float("nan"), float("inf"), [], {"a": 1}, ["x"] * 500]
FILES = {
    "alias bomb": "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{n}: &{n} [{','.join(['*' + p] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True)),
    "deep nesting": "a: " + "[" * 50000 + "]" * 50000,
    "deep JSON": '{"a": ' + "[" * 50000 + "]" * 50000 + "}",
    "5,000-digit integer": "a: " + "9" * 5000,
    "500 KB of answers": "".join(f"k{i}: 纸坊街道文化路社区江南花山郡小区党支部\n" for i in range(8000)),
}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--render", type=int, default=100)
    parser.add_argument("--no-sweep", action="store_true")
    parser.add_argument("--loader-only", action="store_true")
    args = parser.parse_args()
    if args.loader_only:
        loader_figures()
        return 0
    home = Path(tempfile.mkdtemp(prefix="sanfang-fuzz-"))
    app = Sanfang(home / "ws")
    all_cases = cases(str(app.workspace.home))
    print(f"{len(all_cases)} documents, {sum(len(c.fields) for c in all_cases)} asked fields")
    outcomes: Counter[str] = Counter()
    failures: list[tuple[Any, ...]] = []
    times: list[float] = []

    def record(what: str, case: Any, spec: Any, value: Any, judge: Any) -> None:
        t = time.perf_counter()
        trial = judge(app, case, spec, value) if judge is attempt else judge(app, case, spec, value, home / "out")
        times.append(time.perf_counter() - t)
        if times[-1] > 5:
            print(f"slow ({times[-1]:.1f} s): {what} {case.doc_key} {spec.name}={value!r:.80}", flush=True)
        outcomes[f"{what}: {trial.outcome}"] += 1
        if is_failure(trial):
            failures.append((what, case.doc_key, spec.name, repr(value)[:80], trial.outcome, trial.detail[:160]))

    budget = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))

    @settings(budget, max_examples=args.examples)
    @given(data=st.data())
    def interviews(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(all_cases))
        spec = data.draw(st.sampled_from(case.fields))
        record("interview", case, spec, data.draw(values(spec)), attempt)

    printing = [c for c in all_cases if c.printed]

    @settings(budget, max_examples=args.render)
    @given(data=st.data())
    def layouts(data: st.DataObject) -> None:
        case = data.draw(st.sampled_from(printing))
        spec = data.draw(st.sampled_from([f for f in case.fields if f.name in case.printed]))
        record("PDF + DOCX", case, spec, data.draw(values(spec)), render)

    started = time.perf_counter()
    interviews()
    if args.render:
        layouts()
    if not args.no_sweep:
        for case in all_cases:
            for spec in case.fields:
                for value in HOSTILE:
                    record("sweep", case, spec, value, attempt)
    elapsed = time.perf_counter() - started
    for outcome, n in sorted(outcomes.items()):
        print(f"  {outcome:<40} {n:>7}")
    print(f"{len(times)} trials in {elapsed:.1f} s; median {statistics.median(times) * 1000:.1f} ms, "
          f"slowest {max(times) * 1000:.0f} ms")
    loader_figures()
    for failure in failures[:40]:
        print("FAIL", *failure, sep=" | ")
    return 1 if failures else 0


def loader_figures() -> None:
    """Our reader against plain ``yaml.safe_load`` (then using the value, as the engine would),
    on the hostile files and, for the overhead, on every example answers file."""
    print("answers files: ours | plain yaml.safe_load, then str() of the value")
    for name, text in FILES.items():
        t = time.perf_counter()
        try:
            parse_answers(text)
            ours = "accepted"
        except ValidationError as exc:
            ours = f"refused ({exc.problems[0].rule})"
        ours_ms = (time.perf_counter() - t) * 1000
        print(f"  {name:<22} {ours_ms:8.1f} ms {ours:<18} | {plain(text)}")
    examples = sorted(EXAMPLES.glob("*/*.yaml"))
    ours = statistics.median(_timed(lambda p=p: read_answers(p)) for p in examples for _ in range(5))
    base = statistics.median(_timed(lambda p=p: yaml.safe_load(p.read_text(encoding="utf-8")))
                             for p in examples for _ in range(5))
    print(f"  {len(examples)} example files, median: ours {ours * 1000:.2f} ms, safe_load {base * 1000:.2f} ms "
          f"(ratio {ours / base:.2f})")


def plain(text: str, limit: int = 10) -> str:
    def stop(*_: Any) -> None:
        raise TimeoutError

    signal.signal(signal.SIGALRM, stop)
    signal.alarm(limit)
    t = time.perf_counter()
    try:
        str(yaml.safe_load(text))
        verdict = "accepted"
    except TimeoutError:
        verdict = f"still running after {limit} s"
    except Exception as exc:  # noqa: BLE001 - what the plain loader does is the figure
        verdict = f"crash {type(exc).__name__}"
    finally:
        signal.alarm(0)
    return f"{(time.perf_counter() - t) * 1000:8.1f} ms {verdict}"


def _timed(fn: Any) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    sys.exit(main())
