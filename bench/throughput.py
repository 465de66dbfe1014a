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

# The package's layers whose code runs during a crawl (dwnews/commands/crawl.py runs the whole crawl).
DWNEWS_LAYERS = (
    "dwnews/core/",
    "dwnews/pages/",
    "dwnews/store/",
    "dwnews/crawl/",
    "dwnews/pipelines/",
    "dwnews/spiders/",
)
# Where a sample's time goes: the first rule (in this order) that a frame of its stack matches.
CATEGORIES = [
    (
        "feed export (exporter, .part file, read-back)",
        (
            "feedexport.py",
            "scrapy/exporters.py",
            "dwnews/crawl/feeds.py",
            "dwnews/crawl/exporters.py",
            "dwnews/store/feedfiles.py",
        ),
    ),
    (
        "stats counters (Scrapy 2.15 wraps every StatsCollector call in an inspect.Signature.bind check)",
        ("scrapy/statscollectors.py", "scrapy/utils/decorators.py"),
    ),
    ("cleaning (CleanTextPipeline, dwnews.core.text)", ("dwnews/pipelines/clean.py",)),
    ("article parsing (ArticlePage, lxml)", ("dwnews/pages/article.py", "dwnews/pages/sources/")),
    ("listing parsing (ListingPage)", ("dwnews/pages/listing.py",)),
    # Not dwnews/crawl/incremental.py: that spider middleware wraps the spider's output, so its frames
    # are under every page the spider parses and every spider callback (it would take all of them).
    ("SQLite ledger (dwnews.store.sqlite)", ("dwnews/store/sqlite.py",)),
    ("page store (conditional requests, dwnews.store.pages)", ("dwnews/store/pages.py",)),
    # Before the rest of the package: importing dwnews modules at start-up is start-up.
    ("start-up (imports, settings)", ("_find_and_load", "get_project_settings")),
    # The rest of the package by layer (not dwnews/commands/: the crawl command's frame is under every sample).
    ("other dwnews code (spider callbacks, middlewares, other pipelines, records)", DWNEWS_LAYERS),
    ("logging", ("logging/__init__.py",)),
    ("Scrapy: per-response output fan-out (CONCURRENT_ITEMS=100 asyncio tasks)", ("_parallel_asyncio",)),
]


def categorize(frames: list[str]) -> str:
    for name, needles in CATEGORIES:
        if any(needle in frame for frame in frames for needle in needles):
            return name
    return "Scrapy, Twisted, asyncio: the rest (download, scheduling, middlewares)"


# The write path of the project crawl, by the functions on a sample's stack (inclusive: a sample
# counts for every row whose function is on its stack, so the rows overlap where they nest).
WRITE_PATH = [
    ("item pipelines, all (Scrapy's ItemPipelineManager)", "ItemPipelineManager."),
    ("- CleanTextPipeline", "CleanTextPipeline.process_item"),
    ("- RequiredFieldsPipeline", "RequiredFieldsPipeline.process_item"),
    ("- RunDedupPipeline", "RunDedupPipeline.process_item"),
    ("- StageRecordPipeline", "StageRecordPipeline.process_item"),
    ("  - of which SqliteLedger.stage (one transaction per record)", "SqliteLedger.stage"),
    ("  - of which record_json (the staged record's JSON)", "record_json"),
    ("SqliteLedger.mark_skipped (one transaction per article not kept)", "SqliteLedger.mark_skipped"),
    ("SqliteLedger.release", "SqliteLedger.release"),
    ("incremental middleware, claims (SqliteLedger.claim_many, one per page)", "SqliteLedger.claim_many"),
    ("feed export per item (FeedExporter.item_scraped: exporter, .part file)", "FeedExporter.item_scraped"),
    ("feed stored at the end (AtomicFileFeedStorage.store: fsync, rename, read-back)", "AtomicFileFeedStorage.store"),
    ("- of which SqliteLedger.feed_stored (records exported, one transaction)", "SqliteLedger.feed_stored"),
    ("SQLite COMMITs and BEGINs (SqliteLedger.transaction, every caller)", "SqliteLedger.transaction"),
]


def read_pyspy(raw: Path) -> dict[str, Any]:
    """From py-spy's raw output: samples, samples per category, self samples per function, samples
    per innermost dwnews function (its own time and that of the non-dwnews code it calls: lxml,
    json, sqlite3...), samples with a dwnews function anywhere on the stack, and per WRITE_PATH row."""
    total = 0
    categories: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    inner: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    write_path: Counter[str] = Counter()
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
        ours = [frame for frame in frames if any(layer in frame for layer in DWNEWS_LAYERS)]
        if ours:
            inner[ours[-1]] += n
            for frame in set(ours):
                inclusive[frame] += n
        for name, needle in WRITE_PATH:
            if any(needle in frame for frame in frames):
                write_path[name] += n
    return {
        "total": total,
        "categories": categories,
        "functions": functions,
        "dwnews_inner": inner,
        "dwnews_inclusive": inclusive,
        "write_path": write_path,
    }


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
            read = read_pyspy(raw)
            total = max(read["total"], 1)
            result[name] = {
                "samples": read["total"],
                "wall_s": measured.wall_s,
                "cpu_s": measured.cpu_s,  # py-spy's and the crawl's (wait4 counts the waited-for child)
                "shares": {k: v / total for k, v in read["categories"].items()},
                "function_shares": {k: v / total for k, v in read["functions"].most_common(25)},
                "dwnews_inner_shares": {k: v / total for k, v in read["dwnews_inner"].most_common(25)},
                "dwnews_inclusive_shares": {k: v / total for k, v in read["dwnews_inclusive"].most_common(40)},
                "write_path_shares": {k: read["write_path"][k] / total for k, _ in WRITE_PATH},
            }
    return result


def share_rows(shares: dict[str, float], cpu_ms: float, limit: int = 20) -> list[list[str]]:
    """Table rows: name, share of samples, and that share of the CPU ms per article."""
    return [[name, f"{100 * share:.1f}%", f"{share * cpu_ms:.3f}"] for name, share in list(shares.items())[:limit]]


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
    parser.add_argument("--articles", type=int, default=20_000, help="articles of the mirror (default 20000)")
    parser.add_argument("--sections", type=int, default=10, help="section pages of the mirror (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="plain/project pairs, alternated")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN), both crawlers")
    parser.add_argument(
        "--profile-articles",
        type=int,
        default=5000,
        help="articles of the mirror both crawlers are profiled on with py-spy (default 5000; 0: no profile)",
    )
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
                "",
                "dwnews crawl, top costs inside dwnews/: each sample to the innermost dwnews function on its "
                "stack (its own time and that of the library code it calls: lxml, json, sqlite3...):",
                "",
                md_table(
                    ["function", "share", "ms/article"], share_rows(prof["project"]["dwnews_inner_shares"], our_cpu)
                ),
                "",
                "dwnews crawl, the write path (inclusive: every row whose function is on a sample's stack; "
                "nested rows overlap):",
                "",
                md_table(["where", "share", "ms/article"], share_rows(prof["project"]["write_path_shares"], our_cpu)),
                "",
                "py-spy samples the main thread whenever it is not idle: a write waiting for fsync (SQLite's "
                "COMMIT with synchronous=FULL, the feed's fsync) holds samples while it costs little CPU, so "
                "ms/article overstates such rows; what-if runs measure them by CPU time.",
            ]
    if args.settings:
        md.insert(1, f"\nBoth crawlers with `{' '.join(extra)}`.")
    save(args.save_as, data, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
