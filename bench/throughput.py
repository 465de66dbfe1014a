"""Crawl throughput: ``scrapy crawl politics`` end to end against plain Scrapy, same pages, same run.

    python3 bench/throughput.py [--articles 20000] [--rounds 1] [--concurrency 16] [--profile-articles 5000]

Serves a large mirror (``bench/serve.py``: the real-markup Kiswahili fixtures as N articles with
their own ids, titles and wording, linked from 10 sections) on loopback in its own process, then
crawls it alternately with the plain baseline (``bench/plain_crawl.py``) and with the project
(all pipelines, the cross-run state on a fresh state dir, ``-O`` JSON Lines export, politeness
off), at the same concurrency. Then profiles one project crawl of a smaller mirror with py-spy
(sampling, GIL holder only) and says where the time goes. The project's state dir of the last
round is kept in ``bench/out/work/throughput-state`` for ``incremental_cost.py --reuse``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from common import OUT, md_table, save, verdict
from harness import Measured, Server, plain_command, plain_crawl, project_crawl, run_process

WORK = OUT / "work"

# Where a sample's time goes: the first rule (in this order) that a frame of its stack matches.
_DWNEWS_OTHER = ("dwnews/spiders/", "dwnews/pipelines/", "dwnews/items.py", "dwnews/urls.py", "dwnews/health.py")
CATEGORIES = [
    (
        "feed export (exporter, .part file, read-back)",
        ("feedexport.py", "scrapy/exporters.py", "dwnews/feeds.py", "dwnews/exporters.py"),
    ),
    (
        "stats counters (Scrapy 2.15 wraps every StatsCollector call in an inspect.Signature.bind check)",
        ("scrapy/statscollectors.py", "scrapy/utils/decorators.py"),
    ),
    ("cleaning (CleanTextPipeline, dwnews.text)", ("dwnews/pipelines/clean.py",)),
    ("article parsing (ArticlePage, lxml)", ("dwnews/pages/article.py",)),
    ("listing parsing (ListingPage)", ("dwnews/pages/listing.py",)),
    # Not dwnews/incremental.py: that spider middleware wraps the spider's output, so its frames are
    # under every page the spider parses and every spider callback (it would take all of them).
    ("SQLite ledger (dwnews.ledger)", ("dwnews/ledger.py",)),
    ("other dwnews code (spider callbacks, other pipelines, items)", _DWNEWS_OTHER),
    ("logging", ("logging/__init__.py",)),
    ("start-up (imports, settings)", ("_find_and_load", "get_project_settings")),
    ("Scrapy: per-response output fan-out (CONCURRENT_ITEMS=100 asyncio tasks)", ("_parallel_asyncio",)),
]


def categorize(frames: list[str]) -> str:
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return "Scrapy, Twisted, asyncio: the rest (download, scheduling, middlewares)"


def read_pyspy(raw: Path) -> tuple[int, Counter[str], Counter[str]]:
    """Samples, samples per category, and self samples per function, from py-spy's raw output."""
    total = 0
    categories: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    for line in raw.read_text("utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        n = int(count)
        frames = stack.split(";")
        if any("Thread._bootstrap" in frame for frame in frames):
            continue  # a worker thread (Twisted's thread pool): waiting, not the crawl's CPU
        total += n
        categories[categorize(frames)] += n
        functions[frames[-1] or "(native code)"] += n
    return total, categories, functions


PROFILE_RATE = 250  # samples per second


def profile(articles: int, concurrency: int) -> dict[str, Any]:
    """py-spy over one plain and one project crawl of the same mirror: GIL-held ms per article, by category."""
    pyspy = shutil.which("py-spy")
    if pyspy is None:
        return {"error": "py-spy not installed (bash bench/setup.sh)"}
    result: dict[str, Any] = {"articles": articles, "rate": PROFILE_RATE}
    with Server(articles) as server:
        for name in ("plain", "project"):
            raw = WORK / f"profile-{name}.pyspy.txt"
            prefix = [pyspy, "record", "--function", "--rate", str(PROFILE_RATE), "--format", "raw"]
            prefix += ["--output", str(raw), "--"]
            if name == "plain":
                command = [*prefix, *plain_command(server, concurrency, WORK, "profile-plain")[0]]
                measured = run_process(command, WORK / "profile-plain.log", server)
            else:
                state = WORK / "profile-state"
                shutil.rmtree(state, ignore_errors=True)
                measured = project_crawl(server, concurrency, WORK, "profile-project", state, prefix=prefix)
            total, categories, functions = read_pyspy(raw)
            result[name] = {
                "samples": total,
                "wall_s": measured.wall_s,
                "cpu_s": measured.cpu_s,
                "shares": {k: v / total for k, v in categories.items()},
                "function_shares": {k: v / total for k, v in functions.most_common(25)},
            }
    return result


def summarize(m: Measured) -> dict[str, Any]:
    articles = m.served.get("article/200", 0)
    items = int(m.stats.get("item_scraped_count", 0))
    return {
        "articles": articles,
        "repeats": m.served.get("article_again/200", 0),
        "items": items,
        "requests": m.served.get("total", 0),
        "wall_s": m.wall_s,
        "scrapy_elapsed_s": float(m.stats.get("elapsed_time_seconds", 0.0)),
        "articles_per_s": articles / m.wall_s,
        "items_per_s": items / m.wall_s,
        "cpu_ms_per_article": 1000 * m.cpu_s / max(articles, 1),
        "server_cpu_s": m.server_cpu_s,
        "max_rss_mib": m.max_rss_mib,
    }


def rss_profile(m: Measured) -> list[float]:
    """RSS (MiB) at 10%, 25%, 50%, 75%, 90% and 100% of the crawl's wall time."""
    series = m.rss_series
    if not series:
        return []
    points = []
    for share in (0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        cutoff = share * m.wall_s
        before = [mib for t, mib in series if t <= cutoff]
        points.append(before[-1] if before else series[0][1])
    return points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--sections", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=1, help="plain/project pairs, alternated")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN), both crawlers")
    parser.add_argument("--profile-articles", type=int, default=5000, help="0: no profile")
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy setting for both crawlers",
    )
    parser.add_argument("--save-as", default="throughput", help="results name in bench/out (what-if runs)")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)

    extra = [item for setting in args.settings for item in ("-s", setting)]
    plain: list[Measured] = []
    project: list[Measured] = []
    state = WORK / "throughput-state"
    with Server(args.articles, args.sections) as server:
        for round_no in range(args.rounds):
            plain.append(plain_crawl(server, args.concurrency, WORK, f"plain-{round_no}", extra))
            print(f"  plain round {round_no}: {summarize(plain[-1])['articles_per_s']:.0f} articles/s", file=sys.stderr)
            shutil.rmtree(state, ignore_errors=True)
            project.append(project_crawl(server, args.concurrency, WORK, f"project-{round_no}", state, extra))
            print(
                f"  project round {round_no}: {summarize(project[-1])['articles_per_s']:.0f} articles/s",
                file=sys.stderr,
            )
    for m in plain + project:
        if m.returncode != 0:
            raise RuntimeError(f"crawl failed ({m.returncode}): {m.command}")
    (WORK / "throughput.args.json").write_text(json.dumps({"articles": args.articles, "sections": args.sections}))

    rows = []
    runs = {"plain Scrapy (no processing)": plain, "dwnews politics (pipelines, state, export)": project}
    summaries = {name: [summarize(m) for m in ms] for name, ms in runs.items()}
    for name, ms in summaries.items():
        for n, s in enumerate(ms):
            rows.append(
                [
                    name,
                    n,
                    s["articles"],
                    s["repeats"],
                    s["items"],
                    s["requests"],
                    f"{s['wall_s']:.1f}",
                    f"{s['articles_per_s']:.0f}",
                    f"{s['items_per_s']:.0f}",
                    f"{s['cpu_ms_per_article']:.2f}",
                    f"{s['server_cpu_s']:.1f}",
                    f"{s['max_rss_mib']:.0f}",
                ]
            )
    plain_rate = statistics.median(s["articles_per_s"] for s in summaries["plain Scrapy (no processing)"])
    ours = summaries["dwnews politics (pipelines, state, export)"]
    our_rate = statistics.median(s["articles_per_s"] for s in ours)
    ratio = plain_rate / our_rate
    plain_cpu = statistics.median(s["cpu_ms_per_article"] for s in summaries["plain Scrapy (no processing)"])
    our_cpu = statistics.median(s["cpu_ms_per_article"] for s in ours)
    rss_rows = [[name, n, *rss_profile(m)] for name, ms in runs.items() for n, m in enumerate(ms)]

    md = [
        f"### Crawl throughput ({args.articles} articles, {args.sections} sections, concurrency {args.concurrency})",
        "",
        "Wall time is the whole process (start-up included). CPU ms/article is the crawl process's user+system "
        "time per article page; server CPU is the mirror process over the same crawl (it competes for the "
        "second core). Article pages are distinct articles; `downloaded twice` are repeat downloads of one "
        "of them in the same crawl (not counted in articles/s).",
        "",
        md_table(
            [
                "crawler",
                "round",
                "article pages",
                "downloaded twice",
                "items",
                "requests",
                "wall s",
                "articles/s",
                "items/s",
                "CPU ms/article",
                "server CPU s",
                "peak RSS MiB",
            ],
            rows,
        ),
        "",
        md_table(
            ["goal", "measured", "verdict"],
            [
                [
                    "End-to-end crawl within 2x of plain Scrapy's page rate",
                    f"{our_rate:.0f} vs {plain_rate:.0f} articles/s: x{ratio:.2f} slower "
                    f"(CPU per article x{our_cpu / plain_cpu:.2f}: {our_cpu:.2f} vs {plain_cpu:.2f} ms)",
                    verdict(ratio <= 2),
                ]
            ],
        ),
        "",
        "RSS over the crawl (MiB at 10/25/50/75/90/100% of its wall time):",
        "",
        md_table(["crawler", "round", "10%", "25%", "50%", "75%", "90%", "end"], rss_rows),
    ]
    data: dict[str, Any] = {
        "args": vars(args),
        "summaries": summaries,
        "ratio": ratio,
        "runs": {name: [m.as_dict() for m in ms] for name, ms in runs.items()},
    }
    if args.profile_articles and not args.settings:
        prof = profile(args.profile_articles, args.concurrency)
        data["profile"] = prof
        if "error" in prof:
            md += ["", f"Profile skipped: {prof['error']}"]
        else:
            # Shares of the main thread's samples, times the CPU ms per article of the unprofiled runs above.
            plain_ms = {k: v * plain_cpu for k, v in prof["plain"]["shares"].items()}
            our_ms = {k: v * our_cpu for k, v in prof["project"]["shares"].items()}
            names = sorted(set(plain_ms) | set(our_ms), key=lambda k: -our_ms.get(k, 0.0))
            cat_rows = [
                [
                    name,
                    f"{plain_ms.get(name, 0.0):.2f}",
                    f"{our_ms.get(name, 0.0):.2f}",
                    f"{our_ms.get(name, 0.0) - plain_ms.get(name, 0.0):+.2f}",
                ]
                for name in names
            ]
            cat_rows.append(
                [
                    "**total (= CPU ms/article measured above)**",
                    f"{sum(plain_ms.values()):.2f}",
                    f"{sum(our_ms.values()):.2f}",
                    f"{sum(our_ms.values()) - sum(plain_ms.values()):+.2f}",
                ]
            )
            fn_rows = [
                [fn, f"{100 * share:.1f}%", f"{share * our_cpu:.3f}"]
                for fn, share in prof["project"]["function_shares"].items()
            ]
            md += [
                "",
                f"### Where the crawl's time goes (py-spy at {prof['rate']} Hz, main thread, "
                f"{prof['articles']} articles, both crawlers profiled on the same mirror)",
                "",
                "Each sample goes to the first category (in the order of `CATEGORIES` in throughput.py) that a frame "
                "of its stack matches; ms/article = share of samples x the CPU ms per article measured without "
                "the profiler above.",
                "",
                md_table(["where", "plain Scrapy ms/article", "dwnews ms/article", "difference"], cat_rows),
                "",
                "dwnews crawl, top functions by self time:",
                "",
                md_table(["function", "share", "ms/article"], fn_rows[:20]),
            ]
    if args.settings:
        md.insert(1, f"\nBoth crawlers with `{' '.join(extra)}`.")
    save(args.save_as, data, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
