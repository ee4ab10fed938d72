"""The web app under 20 concurrent clients on loopback: screen round trip p50/p95, and answers →
signed, filed, downloadable document through the app, and the home page (待办, drafts, newest
records: from the records catalogue) after login and after each filing.

Each client is a person: logs in, starts branch-founding-request, answers its 9 screens (a
round trip = POST the screen, follow the redirect, GET the next one: the engine resumes the
draft and replays the interview on both), files it (render, sign, archive, index) and downloads
the PDF. Run against waitress (what `sanfang serve` uses) and, in the same run, against
werkzeug's threaded development server (the slower alternative one might deploy by mistake).

    .venv/bin/python bench/bench_web.py [--clients 20] [--rounds 1] [--think 2] [--skip-dev]

Two loads: people who read and type (``--think`` seconds per screen on average) and the
saturation case where all 20 submit the moment a page arrives (think time 0).
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from sanfang_docs.api import Sanfang  # noqa: E402
from sanfang_docs.web import create_app  # noqa: E402
from tests.conftest import example  # noqa: E402
from tests.webkit import PASSWORD, HttpClient, screen_form, serve_in_thread  # noqa: E402


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000


def dev_server(app):  # noqa: ANN001, ANN201
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}", server


def run(label: str, clients: int, rounds: int, dev: bool, think: float = 0.0, threads: int = 8) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix="bench-web-"))
    api = Sanfang(work / "ws")
    answers = example("branch-founding", "with-committee")
    api.organisations.learn(answers)
    for n in range(clients):
        api.accounts.add(f"clerk{n:02d}", PASSWORD, "clerk", answers["street_name"], answers["community_name"])
    app = create_app(app_api=api)
    app.extensions["sanfang-filer"].warm()  # as `sanfang serve` does at start
    base, server = dev_server(app) if dev else serve_in_thread(app, threads=threads)
    screens: list[float] = []
    filing: list[float] = []
    homes: list[float] = []
    lock = threading.Lock()

    def home(client: HttpClient) -> float:
        t = time.perf_counter()
        status, _, page = client.request("/")
        assert status == 200 and "待办" in page
        return time.perf_counter() - t

    def person(n: int) -> None:
        client = HttpClient(base)
        client.login(f"clerk{n:02d}")
        seen = [home(client)]  # the home page after login, and after each filing
        for _ in range(rounds):
            mine: list[float] = []
            started = time.perf_counter()
            _, url, page = client.request("/start", {"doc": "branch-founding-request"})
            for _ in range(40):
                if "生成、签名并归档" in page:
                    break
                if think:
                    time.sleep(random.uniform(0.5, 1.5) * think)  # a person reading and typing
                t = time.perf_counter()
                status, _, page = client.request(url, screen_form(page, answers))
                mine.append(time.perf_counter() - t)
                assert status == 200
            t = time.perf_counter()
            status, record, _ = client.request(f"{url}/file", {})
            status2, _, pdf = client.request(f"{record}/file/document.pdf")
            assert status == status2 == 200 and pdf.startswith("%PDF")
            done = time.perf_counter()
            seen.append(home(client))
            with lock:
                screens.extend(mine)
                filing.append(done - t)
            del started
        with lock:
            homes.extend(seen)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(person, range(clients)))
    wall = time.perf_counter() - t0
    (server.close if not dev else server.shutdown)()
    out = {"screen_p50": pct(screens, 50), "screen_p95": pct(screens, 95), "file_p50": pct(filing, 50),
           "file_p95": pct(filing, 95), "home_p50": pct(homes, 50), "home_p95": pct(homes, 95),
           "screens": len(screens), "documents": len(filing), "wall_s": wall}
    print(f"{label:<22} screens {out['screens']:>4}  p50 {out['screen_p50']:7.1f} ms  p95 {out['screen_p95']:7.1f} ms"
          f"   file+download p50 {out['file_p50']:7.0f} ms  p95 {out['file_p95']:7.0f} ms"
          f"   home p50 {out['home_p50']:6.1f} ms  p95 {out['home_p95']:6.1f} ms   wall {wall:5.1f} s")
    return out


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--skip-dev", action="store_true")
    ap.add_argument("--threads", type=int, default=24, help="waitress worker threads (sanfang serve's default)")
    ap.add_argument("--think", type=float, default=2.0,
                    help="mean seconds a person spends on a screen (0: every client submits at once, saturation)")
    args = ap.parse_args()
    for think in sorted({args.think, 0.0}, reverse=True):
        print(f"-- {args.clients} clients, think time {think:.1f} s")
        waitress = run(f"waitress ({args.threads} threads)", args.clients, args.rounds, dev=False, think=think,
                       threads=args.threads)
        if not args.skip_dev:
            dev = run("werkzeug dev server", args.clients, args.rounds, dev=True, think=think)
            print(f"ratio (dev / waitress): screen p50 {dev['screen_p50'] / waitress['screen_p50']:.2f}×, "
                  f"p95 {dev['screen_p95'] / waitress['screen_p95']:.2f}×")


if __name__ == "__main__":
    main()
