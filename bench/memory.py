"""Memory at scale: peak RSS against the number of known articles (up to 1 million short ids).

    python3 bench/memory.py [--articles 20000] [--new 3000]

Fills cross-run states (``dwnews.store.sqlite`` schema, rows written directly in one transaction) with
K known short ids: the N articles of the mirror plus K - N ids the mirror never links. For each K:

- the dedup index alone: a process that opens the state and claims the mirror's N links
  (``SqliteLedger.claim_many``, all known), as a crawl does per listing page;
- a crawl with nothing new (the N-article mirror, all known);
- for the smallest and the largest K, a crawl with ``--new`` new articles (the mirror grown by them).

Peak RSS is the kernel's ``ru_maxrss`` of each process. The crawl of the large mirror itself (peak
RSS and RSS over time) is in throughput.py's results.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from common import OUT, md_table, save, verdict
from harness import Server, project_crawl, run_process

from dwnews.core.ids import content_id_to_short_id
from dwnews.mirror import SyntheticSite
from dwnews.store.sqlite import DB_NAME, SqliteLedger

WORK = OUT / "work"
FIRST_ID = SyntheticSite(Path(__file__).resolve().parent.parent / "tests" / "site", articles=1).first_id

# The "dedup index alone" process, run as ``python -c CLAIM_SCRIPT STATE_DIR FIRST COUNT``: it imports
# only the ledger (not this script, the harness or the mirror), so its peak RSS is the ledger's.
CLAIM_SCRIPT = """
import argparse, time
from pathlib import Path
from dwnews.store.ledger import Claim
from dwnews.store.sqlite import SqliteLedger
from dwnews.core.ids import content_id_to_short_id
parser = argparse.ArgumentParser(
    prog="python -c CLAIM_SCRIPT (bench/memory.py)",
    description="Open a state and claim COUNT links (content ids FIRST...); print seconds and how many were known.",
)
parser.add_argument("state_dir", type=Path)
parser.add_argument("first", type=int, help="the first content id")
parser.add_argument("count", type=int, help="how many consecutive content ids")
args = parser.parse_args()
first, count = args.first, args.count
links = [Claim(content_id_to_short_id(cid), cid) for cid in range(first, first + count)]
state = SqliteLedger(args.state_dir, run_id="bench-claims")
start = time.perf_counter()
answers = state.claim_many(links)
elapsed = time.perf_counter() - start
state.close()
print(f"{elapsed:.4f} {sum(1 for a in answers.values() if a != 'new')}")
"""


def fill_state(state_dir: Path, site_ids: range, total: int) -> dict[str, float]:
    """A state that knows the mirror's articles and ``total - len(site_ids)`` others, all exported."""
    shutil.rmtree(state_dir, ignore_errors=True)
    SqliteLedger(state_dir, run_id="bench-fill").close()  # the schema
    start = time.perf_counter()
    state = SqliteLedger(state_dir, run_id="bench-fill")
    others = range(1, 1 + max(0, total - len(site_ids)))  # content ids the mirror never links
    now = "2026-01-01T00:00:00.000000Z"
    with state.transaction() as db:
        for ids in (site_ids, others):
            db.executemany(
                "INSERT INTO articles (short_id, content_id, status, run_id, feed, updated_at)"
                " VALUES (?, ?, 'exported', 'bench-fill', 'bench.jsonl', ?)",
                ((content_id_to_short_id(cid), cid, now) for cid in ids),
            )
    state.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    state.close()
    size = sum(p.stat().st_size for p in state_dir.glob(DB_NAME + "*"))
    return {"fill_s": time.perf_counter() - start, "db_mib": size / 2**20}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="The dedup-index figure comes from a child process, python -c CLAIM_SCRIPT STATE_DIR FIRST COUNT, "
        "that imports only the ledger.",
    )
    parser.add_argument("--articles", type=int, default=20_000, help="articles of the mirror (all known)")
    parser.add_argument("--new", type=int, default=3000, help="new articles of the crawls that download")
    parser.add_argument("--known", default="0,20000,100000,1000000", help="K values (0: empty state)")
    parser.add_argument("--sections", type=int, default=10, help="section pages of the mirror")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS(_PER_DOMAIN) of the crawls")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    site_ids = range(FIRST_ID, FIRST_ID + args.articles)
    known_values = [int(k) for k in args.known.split(",")]
    rows = []
    results: list[dict[str, Any]] = []
    for known in known_values:
        state = WORK / f"memory-state-{known}"
        filled = fill_state(state, site_ids if known else range(0), known)
        claim = run_process(
            [sys.executable, "-c", CLAIM_SCRIPT, str(state), str(FIRST_ID), str(args.articles)],
            WORK / f"memory-claims-{known}.log",
        )
        if claim.returncode != 0:
            raise RuntimeError(
                f"the claims process failed ({claim.returncode}): see {WORK / f'memory-claims-{known}.log'}"
            )
        claim_s, already = (WORK / f"memory-claims-{known}.log").read_text().split()[:2]
        entry: dict[str, Any] = {
            "known": known,
            **filled,
            "claims_rss_mib": claim.max_rss_mib,
            "claim_many_s": float(claim_s),
            "claims_known": int(already),
        }
        if known:
            with Server(args.articles, args.sections, known_below=args.articles) as server:
                idle = project_crawl(server, args.concurrency, WORK, f"memory-0new-{known}", state)
            entry["crawl_0_new"] = idle.as_dict()
        if known and known in (min(k for k in known_values if k), max(known_values)):
            with Server(args.articles + args.new, args.sections, known_below=args.articles) as server:
                busy = project_crawl(server, args.concurrency, WORK, f"memory-{args.new}new-{known}", state)
            entry["crawl_new"] = busy.as_dict()
        results.append(entry)
        rows.append(
            [
                f"{known:,}",
                f"{filled['db_mib']:.1f}",
                f"{filled['fill_s']:.1f}",
                f"{claim.max_rss_mib:.1f}",
                f"{1000 * float(claim_s):.0f}",
                f"{entry['crawl_0_new']['max_rss_mib']:.0f}" if "crawl_0_new" in entry else "-",
                f"{entry['crawl_0_new']['served'].get('total', 0)}" if "crawl_0_new" in entry else "-",
                f"{entry['crawl_new']['max_rss_mib']:.0f}" if "crawl_new" in entry else "-",
            ]
        )
        print(f"  known {known}: done", file=sys.stderr, flush=True)

    crawl_known = [r["known"] for r in results if "crawl_0_new" in r]
    crawls_0 = [r["crawl_0_new"]["max_rss_mib"] for r in results if "crawl_0_new" in r]
    crawls_new = [r["crawl_new"]["max_rss_mib"] for r in results if "crawl_new" in r]
    claims = [r["claims_rss_mib"] for r in results]
    growth_0 = max(crawls_0) - min(crawls_0) if crawls_0 else 0.0
    growth_new = max(crawls_new) - min(crawls_new) if crawls_new else 0.0
    md = [
        f"### Memory against known articles (mirror of {args.articles:,} articles, all known; "
        f"{args.new:,} new for the downloading crawls)",
        "",
        md_table(
            [
                "known short ids",
                "state file MiB",
                "fill s",
                f"dedup index alone: peak RSS MiB (claim {args.articles:,} links)",
                "claim_many ms",
                "crawl, 0 new: peak RSS MiB",
                "crawl, 0 new: requests",
                f"crawl, {args.new:,} new: peak RSS MiB",
            ],
            rows,
        ),
        "",
        md_table(
            ["goal", "measured", "verdict"],
            [
                [
                    "Peak memory does not grow with the number of known articles beyond the dedup index",
                    f"crawl peak RSS spread over known = {min(crawl_known, default=0):,}.."
                    f"{max(crawl_known, default=0):,}: "
                    f"{growth_0:.1f} MiB (0 new), {growth_new:.1f} MiB ({args.new:,} new); dedup index alone "
                    f"{min(claims):.1f}..{max(claims):.1f} MiB",
                    verdict(growth_0 < 10 and growth_new < 10),
                ]
            ],
        ),
    ]
    save("memory", {"args": vars(args), "results": results}, "\n".join(md))
    for known in known_values:
        shutil.rmtree(WORK / f"memory-state-{known}", ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
