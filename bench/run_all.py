"""Runs every benchmark in one go and writes ``bench/out/report.md`` (the tables of bench/README.md).

    bash bench/setup.sh && python3 bench/run_all.py

Order: extraction quality and speed, crawl throughput (with the profile), cost per new article
(reusing the throughput crawl's state), memory, reading one large sitemap. About 15 minutes on
the 2-core machine. Each part can be run alone: see bench/README.md.

``--quick``: the same at small sizes (~2 min), to try the scripts. ``--smoke``: every step at its
smallest size (~25 s; the figures mean nothing), what tests/test_bench_smoke.py runs in CI with
``DWNEWS_BENCH_OUT`` set to a temporary directory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from common import BENCH, OUT, ROOT, machine, md_table

# Step name -> the name its script saves its results under (bench/out/<name>.md), in report order.
PARTS = {
    "extraction": "extraction",
    "throughput": "throughput",
    "incremental": "incremental",
    "memory": "memory",
    "sitemap": "sitemap_memory",
    "conditional": "conditional",
    "text": "text_quality",
}


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="size of the large mirror")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes, for trying the scripts (~2 min)")
    size.add_argument("--smoke", action="store_true", help="smallest sizes, to check every step runs (~25 s)")
    parser.add_argument(
        "--steps",
        default=",".join(PARTS),
        help="which parts to (re)run; the report is assembled from every part's latest results",
    )
    args = parser.parse_args()
    articles = 100 if args.smoke else 2000 if args.quick else args.articles
    steps = {
        "extraction": [
            "extraction.py",
            *(["--repeat", "5", "--rounds", "1"] if args.quick else []),
            *(["--repeat", "1", "--rounds", "1", "--profile-rounds", "1"] if args.smoke else []),
        ],
        "throughput": [
            "throughput.py",
            *("--articles", str(articles), "--rounds", "1" if args.quick or args.smoke else "2"),
            *("--profile-articles", "0" if args.smoke else str(min(articles, 5000))),
        ],
        "incremental": [
            "incremental_cost.py",
            *("--articles", str(articles), "--reuse"),
            *(["--new", "0,10"] if args.smoke else []),
        ],
        "memory": [
            "memory.py",
            "--articles",
            str(articles),
            *(["--new", "300", "--known", "0,2000,10000,100000"] if args.quick else []),
            *(["--new", "20", "--known", "0,100"] if args.smoke else []),
        ],
        "sitemap": [
            "sitemap_memory.py",
            *("--urls", "500" if args.smoke else "2000" if args.quick else "10000,50000"),
            *(["--stop-after", "20"] if args.smoke else []),
        ],
        "text": ["text_quality.py"],
        "conditional": [
            "conditional_cost.py",
            *("--articles", "60" if args.smoke else "300" if args.quick else "2000"),
        ],
    }
    OUT.mkdir(parents=True, exist_ok=True)
    timings_file = OUT / "timings.json"
    timings: dict[str, list[str]] = json.loads(timings_file.read_text()) if timings_file.exists() else {}
    for name in args.steps.split(","):
        if name not in steps:
            parser.error(f"--steps: unknown part {name!r}; parts: {', '.join(PARTS)}")
        step = steps[name]
        print(f"== {' '.join(step)}", file=sys.stderr, flush=True)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, str(BENCH / step[0]), *step[1:]], cwd=ROOT, check=True, stdout=subprocess.DEVNULL
        )
        timings[name] = [f"python3 bench/{' '.join(step)}", f"{time.perf_counter() - start:.0f}"]
        timings_file.write_text(json.dumps(timings))
    info = machine()
    commit = os.environ.get("DWNEWS_BENCH_COMMIT") or git("rev-parse", "--short", "HEAD")
    if (
        commit
        and not os.environ.get("DWNEWS_BENCH_COMMIT")
        and git("status", "--porcelain", "--", "dwnews", "tests/site")
    ):
        commit += " (with uncommitted changes)"
    info["dwnews commit"] = commit or "unknown (not a git checkout; set DWNEWS_BENCH_COMMIT)"
    parts = [
        "## Results",
        "",
        md_table(["machine", "value"], [[k, v] for k, v in info.items()]),
        "",
        md_table(["command", "seconds"], [timings[name] for name in steps if name in timings]),
    ]
    for name in PARTS.values():
        if (OUT / f"{name}.md").exists():
            parts += ["", (OUT / f"{name}.md").read_text("utf-8")]
    (OUT / "report.md").write_text("\n".join(parts), "utf-8")
    print(f"wrote {OUT / 'report.md'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
