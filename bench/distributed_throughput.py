"""Throughput of distributed crawling: 1, 2 and 3 workers on a real Redis, same synthetic mirror.

    python3 bench/distributed_throughput.py [ARTICLES]      # default 1500

Starts redis-server and the mirror on loopback, runs N `scrapy crawl politics` workers sharing
one crawl (DWNEWS_REDIS_URL), politeness off, and reports articles per second between the first
and the last article download (the workers' start-up and idle timeout are excluded), and the wall
time. On a 2-core machine the mirror server and N workers compete for the same cores.
"""

from __future__ import annotations

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


def main() -> int:
    articles = int(sys.argv[1]) if len(sys.argv) > 1 else 1500
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install redis-server)")
        return 1
    print("| workers | articles downloaded | articles/s (first to last download) | wall time, s |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2, 3):
            rate, wall, count = run(workers, articles, Path(tmp))
            print(f"| {workers} | {count} | {rate:.0f} | {wall:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
