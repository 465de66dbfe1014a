"""Rendering cost: Splash render time per page and the crawl slowdown with rendering on.

    bash scripts/splash/install.sh && python3 bench/splash_render.py [--render-runs 5] [--crawl-runs 3]

Starts a real Splash (scripts/splash/start.sh) and the loopback mirror, then measures
1. render.html time per page (median of 5) for the mirror's listing and article pages;
2. the wall time of `scrapy crawl politics` on the mirror (median of 3) without rendering, with
   listing pages rendered, and with listing and article pages rendered.
Prints a Markdown table; traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dwnews.mirror import DEFAULT_SITE, MirrorServer, crawl_command, free_port  # noqa: E402

SPLASH = ROOT / "scripts" / "splash"
RENDER_ARGS = {"filters": "loopback-only", "images": 0, "wait": 0.5, "timeout": 60}
PAGES = {
    "home (listing)": "/sw/idhaa-ya-kiswahili/s-11588",
    "JS section (listing)": "/sw/habari-zaidi/s-12762",
    "article, 2024 layout": "/sw/x/a-66808855",
    "article, 2026 layout": "/sw/x/a-77400001",
    "article, legacy": "/sw/x/a-65400001",
}


def render_ms(splash: str, url: str, runs: int = 5) -> float:
    query = urllib.parse.urlencode({"url": url, **RENDER_ARGS})
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        with urllib.request.urlopen(f"{splash}/render.html?{query}", timeout=90) as answer:
            answer.read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def crawl_seconds(base_url: str, extra: list[str], runs: int = 3) -> tuple[float, int]:
    times, items = [], 0
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            feed = Path(tmp) / "out.jsonl"
            command = crawl_command(
                base_url,
                "politics",
                ["-O", str(feed), "-s", f"DWNEWS_STATE_DIR={tmp}/state", "-s", "LOG_LEVEL=WARNING", *extra],
            )
            start = time.perf_counter()
            subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
            times.append(time.perf_counter() - start)
            items = len(feed.read_text("utf-8").splitlines())
    return statistics.median(times), items


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs Splash (bash scripts/splash/install.sh). Prints Markdown tables; saves nothing.",
    )
    parser.add_argument(
        "--render-runs", type=int, default=5, help="render.html calls per page; the median counts (default 5)"
    )
    parser.add_argument(
        "--crawl-runs", type=int, default=3, help="crawls per rendering mode; the median counts (default 3)"
    )
    args = parser.parse_args(argv)
    if args.render_runs < 1 or args.crawl_runs < 1:
        parser.error("--render-runs and --crawl-runs must be 1 or more")
    port = free_port()
    env = {
        **os.environ,
        "SPLASH_RUN_DIR": tempfile.mkdtemp(),
        "SPLASH_EXTRA_ARGS": f"--filters-path {SPLASH / 'filters'}",
    }
    started = subprocess.run(["bash", str(SPLASH / "start.sh"), str(port)], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        print(f"Splash did not start (bash scripts/splash/install.sh installs it):\n{started.stdout[-1500:]}", end="")
        print(started.stderr[-1500:], file=sys.stderr)
        return 1
    splash = f"http://127.0.0.1:{port}"
    try:
        with MirrorServer(DEFAULT_SITE) as mirror:
            print(f"| page | render.html, ms (median of {args.render_runs}, wait=0.5 s) | plain GET, ms |")
            print("|---|---|---|")
            for name, path in PAGES.items():
                url = mirror.base_url + path
                start = time.perf_counter()
                with urllib.request.urlopen(url) as answer:
                    answer.read()
                plain = (time.perf_counter() - start) * 1000
                print(f"| {name} | {render_ms(splash, url, args.render_runs):.0f} | {plain:.1f} |")
            print()
            splash_settings = ["-s", f"SPLASH_URL={splash}", "-s", f"DWNEWS_SPLASH_ARGS={json.dumps(RENDER_ARGS)}"]
            runs = {
                "no rendering": [],
                "listing pages rendered": [*splash_settings, "-s", "DWNEWS_SPLASH_PAGES=listing"],
                "listing and article pages rendered": [*splash_settings, "-s", "DWNEWS_SPLASH_PAGES=listing,article"],
            }
            print(
                "| crawl of the mirror (default sources, 6 articles kept) "
                f"| wall time, s (median of {args.crawl_runs}) | slowdown |"
            )
            print("|---|---|---|")
            base = None
            for name, extra in runs.items():
                seconds, items = crawl_seconds(mirror.base_url, extra, args.crawl_runs)
                base = base or seconds
                print(f"| {name} ({items} items) | {seconds:.2f} | {seconds / base:.2f}x |")
    finally:
        subprocess.run(["bash", str(SPLASH / "stop.sh")], env=env, capture_output=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
