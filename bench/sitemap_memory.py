"""Reading one large article sitemap: peak memory and time of ``scrapy crawl politics -a source=sitemap``.

    python3 bench/sitemap_memory.py [--urls 50000] [--stop-after 200] [--concurrency 16]
    python3 bench/sitemap_memory.py --urls 10000,50000,180000

The loopback mirror (in this process; the crawl is a child process) serves the sitemaps the way
tests/site and dw.com do: ``/robots.txt`` (tests/site's, with its ``Sitemap:`` line) -> the
``/sitemap.xml`` index (tests/site's: de, en and sw sitemaps) -> the ``/sw/article-sitemap.xml``
index (one child here) -> ``/sw/article-sitemap-2026.xml``, one ``urlset`` of N URLs written like
tests/site/sw/article-sitemap-2024.xml (same layout and indentation, the fixtures' real slugs,
``/a-<content id>``, one ``lastmod`` a minute). Its articles are ``dwnews.mirror.SyntheticSite``
pages. The crawl is stopped (SIGINT: Scrapy's graceful shutdown) once the mirror has seen
``--stop-after`` article requests, so the run measures reading the sitemap and scheduling its
requests, not downloading N pages.

Measured for each N: peak RSS of the crawl process (``wait4``'s ``ru_maxrss`` of exactly that
child), seconds from the start of the process to the mirror answering the urlset, to the first
article request the mirror sees, and to the end of the process (SIGINT and shutdown included).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from common import OUT, ROOT, SITE, md_table, save
from harness import project_command, rss_kib

from dwnews.mirror import LoggedRequest, MirrorServer, SyntheticSite

WORK = OUT / "work"
URLSET_PATH = "/sw/article-sitemap-2026.xml"
_LOC_RE = re.compile(r"<loc>https://www\.dw\.com/sw/([^<]+?)/a-\d+</loc>")
_HEAD = '<?xml version="1.0" encoding="UTF-8"?>\n'
_NS = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'


def fixture_slugs(site: Path = SITE) -> list[str]:
    """The slugs of the Kiswahili article URLs in the mirror's real-shaped sitemaps."""
    slugs: list[str] = []
    for path in sorted((site / "sw").glob("*sitemap*.xml")):
        for slug in _LOC_RE.findall(path.read_text("utf-8")):
            if slug not in slugs:
                slugs.append(slug)
    if not slugs:
        raise ValueError(f"no /sw/ article URLs in {site}/sw/*sitemap*.xml")
    return slugs


class SitemapSite(SyntheticSite):
    """SyntheticSite whose /sw/ article sitemap is one urlset of all its articles, laid out as DW's.

    The root index (/sitemap.xml) is left to the files of the mirror (tests/site's real one).
    """

    def __init__(self, root: Path, urls: int) -> None:
        super().__init__(root, articles=urls, sections=1)
        slugs = fixture_slugs(Path(root))
        index = (
            f"{_HEAD}<sitemapindex {_NS}>\n  <sitemap>\n    <loc>https://www.dw.com{URLSET_PATH}</loc>\n"
            f"    <lastmod>{self._published(self.first_id + urls - 1)}</lastmod>\n  </sitemap>\n</sitemapindex>\n"
        )
        entries = (
            f"  <url>\n    <loc>https://www.dw.com/sw/{slugs[n % len(slugs)]}/a-{cid}</loc>\n"
            f"    <lastmod>{self._published(cid)}</lastmod>\n  </url>\n"
            for n, cid in enumerate(self.ids())
        )
        urlset = f"{_HEAD}<urlset {_NS}>\n{''.join(entries)}</urlset>\n"
        self.sitemaps = {"/sw/article-sitemap.xml": index.encode(), URLSET_PATH: urlset.encode()}

    def document(self, path: str) -> bytes | None:
        return self.sitemaps.get(path)


class SitemapMirror(MirrorServer):
    """The mirror, noting when the urlset was asked for and the article requests it saw."""

    def __init__(self, site: SitemapSite, stop_after: int) -> None:
        super().__init__(SITE, synthetic=site)
        self.stop_after = stop_after
        self.enough = threading.Event()
        self.article_requests = 0
        self.first_article_at: float | None = None
        self.urlset_at: float | None = None

    def _log(self, entry: LoggedRequest) -> None:
        # Not the request list of MirrorServer: counts and two times are all this needs.
        with self._lock:
            if "/a-" in entry.path:
                self.article_requests += 1
                if self.first_article_at is None:
                    self.first_article_at = entry.at
                if self.article_requests >= self.stop_after:
                    self.enough.set()
            elif entry.path.startswith(URLSET_PATH):
                self.urlset_at = entry.at


def measure(urls: int, stop_after: int, concurrency: int, timeout: float, extra: list[str]) -> dict[str, Any]:
    """One crawl of a mirror whose article sitemap holds ``urls`` URLs; stopped after ``stop_after`` articles."""
    site = SitemapSite(SITE, urls)
    sitemap_bytes = len(site.sitemaps[URLSET_PATH])
    WORK.mkdir(parents=True, exist_ok=True)
    name = f"sitemap-{urls}"
    log_path = WORK / f"{name}.log"
    with SitemapMirror(site, stop_after) as server, tempfile.TemporaryDirectory() as state_dir:
        command, stats_file = project_command(
            server.base_url, concurrency, WORK, name, Path(state_dir), ["-a", "source=sitemap", *extra]
        )
        stats_file.unlink(missing_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        series: list[tuple[float, float]] = []
        start = time.monotonic()
        with log_path.open("w") as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.1):
                    value = rss_kib(proc.pid)
                    if value is not None:
                        series.append((round(time.monotonic() - start, 2), round(value / 1024, 1)))

            threading.Thread(target=sample, daemon=True).start()
            interrupted_at: float | None = None
            killed = False
            while True:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                now = time.monotonic()
                if interrupted_at is None:
                    if server.enough.is_set() or now - start > timeout:
                        proc.send_signal(signal.SIGINT)  # graceful: in-flight requests end, feed and ledger close
                        interrupted_at = now
                    else:
                        server.enough.wait(0.01)
                        continue
                elif not killed and now - interrupted_at > timeout:
                    proc.kill()
                    killed = True
                time.sleep(0.05)  # shutting down: never a busy loop beside the crawl on a 2-core machine
            total = time.monotonic() - start
            done.set()
        first_article = server.first_article_at
        urlset_at = server.urlset_at
        seen = server.article_requests
    log_text = log_path.read_text("utf-8", errors="replace")
    stats: dict[str, Any] = {}
    if stats_file.exists():
        stats = json.loads(stats_file.read_text("utf-8"))
    notes = []
    if "larger than download max size" in log_text:
        notes.append("urlset larger than DOWNLOAD_MAXSIZE: download cancelled")
    if interrupted_at is not None and not server.enough.is_set():
        notes.append(f"stopped after {timeout:.0f} s without {stop_after} article requests")
    if killed:
        notes.append(f"killed {timeout:.0f} s after SIGINT")
    return {
        "urls": urls,
        "sitemap_mib": sitemap_bytes / 2**20,
        "returncode": os.waitstatus_to_exitcode(status),
        "max_rss_mib": usage.ru_maxrss / 1024,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "urlset_s": None if urlset_at is None else urlset_at - start,
        "first_article_s": None if first_article is None else first_article - start,
        "total_s": total,
        "article_requests": seen,
        "stopped": interrupted_at is not None,
        "found": int(stats.get("dwnews/source/sitemap/found", 0)),
        "scheduled": int(stats.get("scheduler/enqueued", 0)),
        "finish_reason": stats.get("finish_reason", ""),
        "notes": notes,
        "rss_series": series,
        "command": " ".join(command[1:]),
    }


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


HEADERS = [
    "sitemap URLs",
    "urlset MiB",
    "peak RSS MiB",
    "s to urlset served",
    "s to first article request",
    "urlset to first article, s",
    "total s",
    "CPU s",
    "article requests seen",
    "links found",
    "requests scheduled",
    "notes",
]


def row(result: dict[str, Any]) -> list[Any]:
    urlset, first = result["urlset_s"], result["first_article_s"]
    return [
        f"{result['urls']:,}",
        f"{result['sitemap_mib']:.1f}",
        f"{result['max_rss_mib']:.0f}",
        _seconds(urlset),
        _seconds(first),
        _seconds(first - urlset if first is not None and urlset is not None else None),
        f"{result['total_s']:.2f}",
        f"{result['cpu_s']:.2f}",
        result["article_requests"],
        f"{result['found']:,}",
        f"{result['scheduled']:,}",
        "; ".join(result["notes"]) or "-",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", default="50000", help="URLs in the one article sitemap; several: 10000,50000,180000")
    parser.add_argument("--stop-after", type=int, default=200, help="stop the crawl after this many article requests")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN)")
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds before a crawl is stopped anyway (and killed after SIGINT)"
    )
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting (what-if runs)"
    )
    parser.add_argument("--save-as", default="sitemap_memory", help="results name in bench/out (what-if runs)")
    args = parser.parse_args()
    extra = [item for setting in args.settings for item in ("-s", setting)]
    sizes = [int(n) for n in args.urls.replace("_", "").split(",") if n.strip()]
    results = []
    print("| " + " | ".join(HEADERS) + " |\n|" + "---|" * len(HEADERS), file=sys.stderr, flush=True)
    for urls in sizes:
        result = measure(urls, args.stop_after, args.concurrency, args.timeout, extra)
        results.append(result)
        print("| " + " | ".join(str(v) for v in row(result)) + " |", file=sys.stderr, flush=True)
        if result["article_requests"] == 0 and not result["notes"]:
            raise RuntimeError(f"no article request seen for {urls} URLs: see {WORK / f'sitemap-{urls}.log'}")
    md = [
        f"### Reading one article sitemap (`scrapy crawl politics -a source=sitemap`, stopped after "
        f"{args.stop_after} article requests, concurrency {args.concurrency})",
        "",
        "robots.txt -> /sitemap.xml -> /sw/article-sitemap.xml -> one urlset of N URLs (real-shaped), on "
        "loopback; a fresh state dir (every URL new). Peak RSS is the crawl process's `ru_maxrss`; times are "
        "from the start of the process; the last includes SIGINT and Scrapy's graceful shutdown. `links found` "
        "and `requests scheduled` are the crawl's stats (`dwnews/source/sitemap/found`, `scheduler/enqueued`).",
        "",
        md_table(HEADERS, [row(r) for r in results]),
    ]
    if extra:
        md.insert(1, f"\nWith `{' '.join(extra)}`.")
    save(args.save_as, {"args": vars(args), "results": results}, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
