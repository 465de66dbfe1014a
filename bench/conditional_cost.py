"""What a scheduled run costs the site: requests and bytes of a first run, a run with nothing new, a
run with 10 new articles, with and without conditional requests.

    python3 bench/conditional_cost.py [--articles 2000] [--sections 10]

The loopback mirror (``dwnews.mirror.MirrorServer`` with a ``SyntheticSite``: real-markup article
pages, listing pages, a sitemap index, news and article sitemaps, an RDF feed) answers
``If-None-Match`` / ``If-Modified-Since`` as DW's CDN does and counts every body byte it sends. Each
mode runs ``scrapy crawl politics -a source=all`` three times on one state dir: the first run (every
article new), a run with nothing new, a run after 10 articles were added. "before" is the same with
``-s DWNEWS_CONDITIONAL_REQUESTS=False`` (what every run cost until conditional requests).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from typing import Any

from common import OUT, ROOT, SITE, md_table, save, verdict

from dwnews.mirror import LoggedRequest, MirrorServer, SyntheticSite, crawl_command

WORK = OUT / "work"
_ARTICLE_RE = re.compile(r"/a-\d+")


def _tally(requests: list[LoggedRequest]) -> dict[str, int]:
    pages = [r for r in requests if not _ARTICLE_RE.search(r.path)]
    articles = [r for r in requests if _ARTICLE_RE.search(r.path)]
    return {
        "page_requests": len(pages),
        "page_304": sum(1 for r in pages if r.status == 304),
        "page_bytes": sum(r.sent for r in pages),
        "article_requests": len(articles),
        "article_bytes": sum(r.sent for r in articles),
    }


def run_mode(articles: int, sections: int, conditional: bool) -> list[dict[str, Any]]:
    site = SyntheticSite(SITE, articles=articles, sections=sections)
    name = "on" if conditional else "off"
    state = WORK / f"conditional-{name}-state"
    shutil.rmtree(state, ignore_errors=True)
    runs = []
    with MirrorServer(SITE, synthetic=site) as server:
        for label, added in (("first run", 0), ("nothing new", 0), ("10 new articles", 10)):
            site.count += added
            before = len(server.requests)
            command = crawl_command(
                server.base_url,
                "politics",
                [
                    "-a", "source=all",
                    "-s", f"DWNEWS_STATE_DIR={state}",
                    "-s", f"DWNEWS_CONDITIONAL_REQUESTS={conditional}",
                    "-s", "CONCURRENT_REQUESTS=16",
                    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
                    "-s", "LOG_LEVEL=WARNING",
                    "-O", str(WORK / f"conditional-{name}.jsonl"),
                ],
            )  # fmt: skip
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"crawl failed ({done.returncode}): {done.stderr[-2000:]}")
            exported = sum(1 for line in (WORK / f"conditional-{name}.jsonl").read_text("utf-8").splitlines() if line)
            runs.append({"run": label, "exported": exported, **_tally(server.requests[before:])})
    return runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles of the synthetic mirror (default 2000)")
    parser.add_argument("--sections", type=int, default=10, help="section pages of the mirror (default 10)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    results = {
        "before": run_mode(args.articles, args.sections, False),
        "after": run_mode(args.articles, args.sections, True),
    }
    rows = []
    for mode, runs in results.items():
        for run in runs:
            rows.append(
                [
                    mode,
                    run["run"],
                    run["page_requests"],
                    run["page_304"],
                    f"{run['page_bytes']:,}",
                    run["article_requests"],
                    f"{run['article_bytes']:,}",
                    run["exported"],
                ]
            )
    first_pages = results["after"][0]["page_bytes"]
    quiet = results["after"][1]["page_bytes"] + results["after"][1]["article_bytes"]
    share = quiet / first_pages if first_pages else 0.0
    before_quiet = results["before"][1]["page_bytes"] + results["before"][1]["article_bytes"]
    md = [
        f"### What a scheduled run costs the site ({args.articles:,}-article mirror, {args.sections} sections, "
        "`-a source=all`)",
        "",
        "Bytes are response bodies the mirror sent; listing, sitemap, feed and robots.txt requests are "
        "`pages`. `before`: `DWNEWS_CONDITIONAL_REQUESTS=False`.",
        "",
        md_table(
            [
                "mode",
                "run",
                "page requests",
                "of them 304",
                "page bytes",
                "article requests",
                "article bytes",
                "articles exported",
            ],
            rows,
        ),
        "",
        md_table(
            ["goal", "measured", "verdict"],
            [
                [
                    "a run with nothing new transfers < 5% of the first run's page bytes",
                    f"{quiet:,} of {first_pages:,} bytes ({share:.2%}); before: {before_quiet:,} bytes",
                    verdict(share < 0.05),
                ]
            ],
        ),
    ]
    save("conditional", {"args": vars(args), **results}, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
