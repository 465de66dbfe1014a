"""Throughput of distributed crawling: 1, 2 and 3 workers on a real Redis, same synthetic mirror.

    python3 bench/distributed_throughput.py [ARTICLES] [--workers 1,2,3]      # ARTICLES: default 1500

Starts redis-server and the mirror on loopback, runs N `scrapy crawl politics` workers sharing
one crawl (DWNEWS_REDIS_URL), politeness off, and reports articles per second between the first
and the last article download (the workers' start-up and idle timeout are excluded), and the wall
time. On a 2-core machine the mirror server and N workers compete for the same cores.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dwnews.mirror import DEFAULT_SITE, MirrorServer, SyntheticSite, crawl_command, free_port  # noqa: E402


def run(workers: int, articles: int, tmp: Path) -> tuple[float, float, int]:
    port = free_port()
    data = tmp / f"redis-{workers}"
    data.mkdir()
    redis = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    try:
        with MirrorServer(
            DEFAULT_SITE, synthetic=SyntheticSite(DEFAULT_SITE, articles=articles, sections=10)
        ) as server:
            start = time.monotonic()
            procs = []
            for n in range(workers):
                out = tmp / f"w{workers}-{n}"
                extra = [
                    "-O", str(out / "items.jsonl"),
                    "-s", f"DWNEWS_REDIS_URL=redis://127.0.0.1:{port}/0",
                    "-s", "DWNEWS_REDIS_IDLE_TIMEOUT=2",
                    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
                    "-s", "LOG_LEVEL=WARNING",
                ]  # fmt: skip
                command = crawl_command(server.base_url, "politics", extra)
                procs.append(subprocess.Popen(command, cwd=ROOT, stderr=subprocess.DEVNULL))
            for proc in procs:
                proc.wait(900)
            wall = time.monotonic() - start
            times = [r.at for r in server.requests if "/a-" in r.path and r.status == 200]
    finally:
        redis.terminate()
        redis.wait(10)
    span = max(times) - min(times)
    return len(times) / span, wall, len(times)


def positive_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of numbers: {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"worker counts must be 1 or more: {text!r}")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Needs redis-server on PATH (apt-get install redis-server). Prints a Markdown table; saves nothing.",
    )
    parser.add_argument(
        "articles", nargs="?", type=int, default=1500, help="articles of the synthetic mirror (default 1500)"
    )
    parser.add_argument(
        "--workers",
        type=positive_list,
        default=[1, 2, 3],
        metavar="N,N,...",
        help="worker counts to measure, one shared crawl each (default 1,2,3)",
    )
    args = parser.parse_args(argv)
    articles = args.articles
    if articles < 1:
        parser.error(f"ARTICLES must be 1 or more, not {articles}")
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server)")
        return 1
    print("| workers | articles downloaded | articles/s (first to last download) | wall time, s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            rate, wall, count = run(workers, articles, Path(tmp))
            print(f"| {workers} | {count} | {rate:.0f} | {wall:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
