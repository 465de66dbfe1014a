"""Cost per new article: requests of incremental runs with 0, 10 and 1,000 new articles since the last run.

    python3 bench/incremental_cost.py [--articles 20000] [--reuse] [--new 0,10,1000]

Starts from a state dir that knows every article of an N-article mirror (``--reuse``: a copy of
the one ``throughput.py`` left in ``bench/out/work/throughput-state``, if it was made for the same
N; otherwise a full crawl makes it first), then runs ``scrapy crawl politics`` three times, each
against the same mirror grown by 0, 10 and 1,000 new articles (each run relative to the one
before it). The server counts every request by kind and tells downloads of articles that an
earlier run already had (``article_known``) from new ones.
"""

from __future__ import annotations

import argparse
import json
import shutil
from typing import Any

from common import OUT, md_table, save, verdict
from harness import Measured, Server, project_crawl

WORK = OUT / "work"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles known before the first measured run")
    parser.add_argument("--sections", type=int, default=10, help="section pages of the mirror (default 10)")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN) (default 16)")
    parser.add_argument("--reuse", action="store_true", help="start from throughput.py's state dir")
    parser.add_argument("--new", default="0,10,1000", help="new articles of each run, in order")
    args = parser.parse_args()
    new_counts = [int(n) for n in args.new.split(",")]
    WORK.mkdir(parents=True, exist_ok=True)
    state = WORK / "incremental-state"
    shutil.rmtree(state, ignore_errors=True)
    source = WORK / "throughput-state"
    source_args = WORK / "throughput.args.json"
    reused = False
    if args.reuse and source.is_dir() and source_args.exists():
        made_for = json.loads(source_args.read_text())
        if made_for.get("articles") == args.articles and made_for.get("sections") == args.sections:
            shutil.copytree(source, state)
            reused = True
    base: dict[str, Any] = {"reused": reused}
    if not reused:
        with Server(args.articles, args.sections) as server:
            first = project_crawl(server, args.concurrency, WORK, "incremental-base", state)
        base["crawl"] = first.as_dict()

    rows = []
    runs: list[dict[str, Any]] = []
    known = args.articles
    known_downloads = 0
    for new in new_counts:
        total = known + new
        with Server(total, args.sections, known_below=known) as server:
            m: Measured = project_crawl(server, args.concurrency, WORK, f"incremental-{new}", state)
        served = m.served
        requests = served.get("total", 0)
        new_downloads = sum(v for k, v in served.items() if k.startswith("article/"))
        old_downloads = sum(v for k, v in served.items() if k.startswith("article_known/"))
        outside = sum(v for k, v in served.items() if k.startswith("article_outside/"))
        again = sum(v for k, v in served.items() if k.startswith("article_again/"))
        other = sum(v for k, v in served.items() if k.startswith("other/"))
        known_downloads += old_downloads
        skipped = {k.rsplit("/", 1)[1]: v for k, v in m.stats.items() if k.startswith("dwnews/incremental/skipped/")}
        rows.append(
            [
                new,
                known,
                requests,
                served.get("listing/200", 0),
                served.get("robots/200", 0),
                other,
                new_downloads,
                old_downloads,
                again,
                outside,
                int(m.stats.get("item_scraped_count", 0)),
                f"{requests / new:.2f}" if new else f"n/a ({requests} requests in all)",
                ", ".join(f"{k} {v}" for k, v in sorted(skipped.items())),
                f"{m.wall_s:.1f}",
                f"{m.max_rss_mib:.0f}",
            ]
        )
        runs.append({"new": new, "known": known, **m.as_dict()})
        known = total

    md = [
        f"### Cost per new article (incremental runs on a {args.articles}-article mirror, {args.sections} sections)",
        "",
        f"Each run is relative to the run before it ({', then '.join(f'{n:,}' for n in new_counts)} new). "
        "`known downloads` are article "
        "pages an earlier run had already exported or skipped (non-politics), counted by the server; "
        "`other article pages` are article URLs outside the synthetic site (none expected).",
        "",
        md_table(
            [
                "new since last run",
                "known before",
                "requests",
                "listing pages",
                "robots.txt",
                "feeds, sitemaps",
                "new article downloads",
                "known downloads",
                "downloaded twice",
                "other article pages",
                "items exported",
                "requests per new article",
                "links skipped (state)",
                "wall s",
                "peak RSS MiB",
            ],
            rows,
        ),
        "",
        md_table(
            ["goal", "measured", "verdict"],
            [
                [
                    "0 article downloads for already-known articles",
                    f"{known_downloads} known downloads in {len(new_counts)} runs",
                    verdict(known_downloads == 0),
                ]
            ],
        ),
    ]
    save("incremental", {"args": vars(args), "base": base, "runs": runs}, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
