"""Cross-run state: which articles were exported (or seen and skipped), in an SQLite file.

The state lives in ``DWNEWS_STATE_DIR/articles.sqlite3`` and is the memory that makes a
scheduled crawl incremental: a later run skips, before downloading it, every article an
earlier run exported, since the short id of an article is known from any link to it.

An article is recorded as exported only after the feed file holding it is complete on disk
(written to ``<feed>.part``, fsynced, renamed; see :mod:`dwnews.feeds`). A run that is killed
leaves its claims and its ``.part`` file behind; the next run releases the claims, deletes the
``.part`` file and, if the kill fell between the rename and the commit, commits what the
finished feed file holds. So an article is never recorded without being in a feed, and never
in two feeds.

Several crawls may share one state dir at once: before requesting an article a run *claims*
its short id in a write transaction; another live run seeing the claim skips the article.
Claims of runs that died (their process is gone) are released. Processes on different
machines cannot see each other's liveness: share a state dir between machines through the
Redis store, not SQLite on a network disk.

Schema (``sqlite3 .scrapy/dwnews/articles.sqlite3 .schema``):

- ``articles(short_id PK, content_id, status, reason, run_id, feed, modified, lastmod_seen,
  updated_at)``; status is ``exported`` (in ``feed``; ``modified`` as exported), ``skipped``
  (downloaded, not kept: ``reason`` says why) or ``claimed`` (being downloaded by ``run_id``);
  ``lastmod_seen`` is the latest sitemap lastmod that triggered a revision.
- ``runs(run_id PK, spider, pid, pid_start, host, started_at, finished_at, status)``.
- ``feeds(path PK, run_id, part_path, format, status, opened_at, closed_at)``; status is
  ``writing``, ``done`` or ``aborted``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import io
import json
import logging
import os
import socket
import sqlite3
import sys
import uuid
import weakref
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

DB_NAME = "articles.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    short_id TEXT PRIMARY KEY,
    content_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('exported', 'skipped', 'claimed')),
    reason TEXT,
    run_id TEXT,
    feed TEXT,
    modified TEXT,
    lastmod_seen TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_run ON articles (run_id, status);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    spider TEXT,
    pid INTEGER,
    pid_start TEXT,
    host TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    path TEXT PRIMARY KEY,
    run_id TEXT,
    part_path TEXT,
    format TEXT,
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
"""

# What ``claim`` answers.
NEW = "new"
EXPORTED = "exported"
SKIPPED = "skipped"
CLAIMED_ELSEWHERE = "claimed_elsewhere"
REVISED = "revised"


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of a process (guards against a reused pid), where /proc exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _process_alive(pid: int, pid_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid_start is None or _process_start(pid) in (None, pid_start)


def articles_in_feed(path: Path, feed_format: str) -> list[tuple[str, str | None]]:
    """The (short id, last change) pairs a finished feed file holds (JSON Lines, JSON or CSV)."""
    if feed_format in ("jsonlines", "jsonl", "jl"):
        # line by line: a long crawl's feed is never held in memory whole
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            return [_row_key(json.loads(line)) for line in handle if line.strip() and '"short_id"' in line]
    data = path.read_bytes().decode("utf-8-sig", errors="replace")
    if feed_format == "json":
        rows = json.loads(data) if data.strip() else []
    elif feed_format == "csv":
        rows = csv.DictReader(io.StringIO(data))
    else:
        raise ValueError(f"cannot read short ids from a {feed_format!r} feed")
    return [_row_key(row) for row in rows if isinstance(row, dict) and row.get("short_id")]


def _row_key(row: dict[str, Any]) -> tuple[str, str | None]:
    # an article never modified was last changed when it was published
    return str(row["short_id"]), row.get("modified") or row.get("published") or None


def short_ids_in_feed(path: Path, feed_format: str) -> list[str]:
    """The short ids a finished feed file holds."""
    return [short_id for short_id, _ in articles_in_feed(path, feed_format)]


class ArticleState:
    """The SQLite state of one state dir, as used by one run (``run_id``)."""

    def __init__(self, state_dir: Path, run_id: str | None = None, spider: str = "", revisions: bool = False) -> None:
        self.state_dir = Path(state_dir)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.path = self.state_dir / DB_NAME
        self.run_id = run_id or f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
        self.spider = spider
        self.revisions = revisions
        # autocommit mode; every write below is one explicit transaction
        self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """Add the columns later versions use to a state file made by an earlier one."""
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(articles)")}
        for column in ("modified", "lastmod_seen"):
            if column not in columns:
                with contextlib.suppress(sqlite3.OperationalError):  # another run added it meanwhile
                    self.db.execute(f"ALTER TABLE articles ADD COLUMN {column} TEXT")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock at once (other runs wait for it)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ----- runs -----------------------------------------------------------------------------

    def start_run(self) -> dict[str, int]:
        """Register this run and clean up after runs that died. Returns what was recovered."""
        recovered = self.recover()
        pid = os.getpid()
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (run_id, spider, pid, pid_start, host, started_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (self.run_id, self.spider, pid, _process_start(pid), socket.gethostname(), _now()),
            )
        return recovered

    def finish_run(self, status: str = "finished") -> None:
        """Release this run's unfinished claims and mark it ended."""
        with self.transaction() as db:
            db.execute("DELETE FROM articles WHERE status = 'claimed' AND run_id = ?", (self.run_id,))
            db.execute(
                "UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?",
                (status, _now(), self.run_id),
            )

    def _dead_runs(self, db: sqlite3.Connection) -> list[str]:
        host = socket.gethostname()
        dead = []
        rows = db.execute(
            "SELECT run_id, pid, pid_start, host FROM runs WHERE status = 'running' AND run_id != ?", (self.run_id,)
        )
        for run_id, pid, pid_start, run_host in rows.fetchall():
            if run_host == host and not _process_alive(int(pid), pid_start):
                dead.append(str(run_id))
        return dead

    def recover(self) -> dict[str, int]:
        """Release claims of dead runs; finish or discard the feed files they were writing."""
        counts = {"dead_runs": 0, "claims_released": 0, "feeds_committed": 0, "parts_removed": 0}
        with self.transaction() as db:
            dead = self._dead_runs(db)
            for run_id in dead:
                counts["dead_runs"] += 1
                released = db.execute(
                    "DELETE FROM articles WHERE status = 'claimed' AND run_id = ?", (run_id,)
                ).rowcount
                counts["claims_released"] += released
                db.execute("UPDATE runs SET status = 'killed', finished_at = ? WHERE run_id = ?", (_now(), run_id))
                feeds = db.execute(
                    "SELECT path, part_path, format FROM feeds WHERE run_id = ? AND status = 'writing'", (run_id,)
                ).fetchall()
                for path, part_path, feed_format in feeds:
                    part = Path(part_path)
                    if part.exists():
                        # The run died before its feed was complete: nothing in it was exported.
                        part.unlink()
                        counts["parts_removed"] += 1
                        db.execute("UPDATE feeds SET status = 'aborted', closed_at = ? WHERE path = ?", (_now(), path))
                    elif Path(path).exists():
                        # Renamed into place but not committed: the feed is complete, commit it.
                        self._mark_exported(db, articles_in_feed(Path(path), feed_format), path, run_id)
                        db.execute("UPDATE feeds SET status = 'done', closed_at = ? WHERE path = ?", (_now(), path))
                        counts["feeds_committed"] += 1
                    else:
                        db.execute("UPDATE feeds SET status = 'aborted', closed_at = ? WHERE path = ?", (_now(), path))
        if any(counts.values()):
            logger.warning("Recovered state after a run that died: %s", counts)
        return counts

    # ----- articles -------------------------------------------------------------------------

    def claim(self, short_id: str, content_id: int) -> str:
        """Claim one article for download by this run; see :meth:`claim_many`."""
        return self.claim_many([(short_id, content_id)])[short_id]

    def claim_many(self, articles: Iterable[tuple[str, int] | tuple[str, int, str | None]]) -> dict[str, str]:
        """Claim articles for download by this run, unless known or claimed by a live run.

        Answers per short id: :data:`NEW` (claimed now), :data:`EXPORTED`, :data:`SKIPPED`,
        :data:`CLAIMED_ELSEWHERE`, or, with ``revisions`` on and a link date (sitemap lastmod)
        later than any seen for an exported article, :data:`REVISED`. One transaction for all:
        a listing page's links at once.
        """
        answers: dict[str, str] = {}
        with self.transaction() as db:
            dead: list[str] | None = None
            for short_id, content_id, *rest in articles:
                lastmod = rest[0] if rest else None
                row = db.execute(
                    "SELECT status, run_id, modified, lastmod_seen FROM articles WHERE short_id = ?", (short_id,)
                ).fetchone()
                if row is not None:
                    status, owner, modified, seen = row
                    if status == EXPORTED and self.revisions and lastmod and lastmod > max(modified or "", seen or ""):
                        # A revision: re-export it. The row stays 'exported' (a failed download loses
                        # nothing); lastmod_seen stops the next run from fetching the same revision.
                        db.execute("UPDATE articles SET lastmod_seen = ? WHERE short_id = ?", (lastmod, short_id))
                        answers[short_id] = REVISED
                        continue
                    if status in (EXPORTED, SKIPPED):
                        answers[short_id] = str(status)
                        continue
                    if owner != self.run_id:
                        dead = self._dead_runs(db) if dead is None else dead
                        if owner not in dead:
                            answers[short_id] = CLAIMED_ELSEWHERE
                            continue
                # lastmod_seen: the link's date now, so that only a later one counts as a revision
                db.execute(
                    "INSERT INTO articles (short_id, content_id, status, run_id, lastmod_seen, updated_at)"
                    " VALUES (?, ?, 'claimed', ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'claimed',"
                    " run_id = excluded.run_id, lastmod_seen = COALESCE(excluded.lastmod_seen, articles.lastmod_seen),"
                    " updated_at = excluded.updated_at",
                    (short_id, content_id, self.run_id, lastmod, _now()),
                )
                answers[short_id] = NEW
        return answers

    def mark_skipped(self, short_id: str, content_id: int | None, reason: str) -> None:
        """Remember an article downloaded and not kept (not politics), so later runs skip it too."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO articles (short_id, content_id, status, reason, run_id, updated_at)"
                " VALUES (?, ?, 'skipped', ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'skipped',"
                " reason = excluded.reason, run_id = excluded.run_id, updated_at = excluded.updated_at"
                " WHERE articles.status != 'exported'",
                (short_id, content_id, reason, self.run_id, _now()),
            )

    def release(self, short_id: str) -> None:
        """Give up this run's claim (the download failed): a later run tries again."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM articles WHERE short_id = ? AND status = 'claimed' AND run_id = ?",
                (short_id, self.run_id),
            )

    def _mark_exported(
        self, db: sqlite3.Connection, articles: Iterable[tuple[str, str | None]], feed: str, run_id: str
    ) -> int:
        now = _now()
        rows = [(short_id, run_id, feed, modified, now) for short_id, modified in articles]
        db.executemany(
            "INSERT INTO articles (short_id, status, run_id, feed, modified, updated_at)"
            " VALUES (?, 'exported', ?, ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'exported',"
            " reason = NULL, run_id = excluded.run_id, feed = excluded.feed,"
            " modified = COALESCE(excluded.modified, articles.modified), updated_at = excluded.updated_at",
            rows,
        )
        return len(rows)

    # ----- feeds ----------------------------------------------------------------------------

    def feed_opened(self, path: Path, part_path: Path, feed_format: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO feeds (path, run_id, part_path, format, status, opened_at)"
                " VALUES (?, ?, ?, ?, 'writing', ?)"
                " ON CONFLICT (path) DO UPDATE SET run_id = excluded.run_id, part_path = excluded.part_path,"
                " format = excluded.format, status = 'writing', opened_at = excluded.opened_at, closed_at = NULL",
                (str(path), self.run_id, str(part_path), feed_format, _now()),
            )

    def feed_stored(self, path: Path, articles: list[tuple[str, str | None]] | list[str]) -> int:
        """Record the articles of a feed file complete on disk as exported, in one transaction.

        ``articles``: short ids, or (short id, modified) pairs as :func:`articles_in_feed` gives.
        """
        pairs = [(a, None) if isinstance(a, str) else a for a in articles]
        with self.transaction() as db:
            count = self._mark_exported(db, pairs, str(path), self.run_id)
            db.execute("UPDATE feeds SET status = 'done', closed_at = ? WHERE path = ?", (_now(), str(path)))
        return count

    # ----- maintenance ----------------------------------------------------------------------

    def forget(self, short_ids: Iterable[str]) -> int:
        """Forget articles: the next incremental run downloads and exports them again."""
        with self.transaction() as db:
            return sum(db.execute("DELETE FROM articles WHERE short_id = ?", (s,)).rowcount for s in short_ids)

    def forget_all(self) -> int:
        with self.transaction() as db:
            return db.execute("DELETE FROM articles").rowcount

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM articles GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}

    def close(self) -> None:
        self.db.close()


# ----- one state per crawl ----------------------------------------------------------------------

_BY_CRAWLER: weakref.WeakKeyDictionary[Crawler, Any] = weakref.WeakKeyDictionary()


def state_for(crawler: Crawler) -> Any:
    """The crawl's state (shared by its spider and feed storages), or None when incremental is off.

    An :class:`ArticleState` (SQLite) or, with ``DWNEWS_REDIS_URL``, a
    :class:`dwnews.distributed.RedisArticleState`; both answer the same calls.

    Created on first use; the run is registered at once and ended when the engine stops, after
    the feeds are stored.
    """
    if crawler in _BY_CRAWLER:
        return _BY_CRAWLER[crawler]
    state: Any = None
    settings = crawler.settings
    spider_name = getattr(crawler.spidercls, "name", "")
    if settings.get("DWNEWS_REDIS_URL"):
        from dwnews.distributed import RedisArticleState, crawl_key

        # Distributed mode: the store is always on (it is what keeps workers from exporting twice).
        state = RedisArticleState(
            settings.get("DWNEWS_REDIS_URL"),
            crawl_key(settings, spider_name),
            revisions=settings.getbool("DWNEWS_REVISIONS"),
            worker_timeout=settings.getfloat("DWNEWS_REDIS_WORKER_TIMEOUT", 15.0),
            crawl_keys=(settings.get("SCHEDULER_QUEUE_KEY"), settings.get("SCHEDULER_DUPEFILTER_KEY")),
        )
    elif settings.getbool("DWNEWS_INCREMENTAL", True):
        state = ArticleState(
            Path(settings.get("DWNEWS_STATE_DIR")),
            spider=spider_name,
            revisions=settings.getbool("DWNEWS_REVISIONS"),
        )
    if state is not None:
        recovered = state.start_run()
        if crawler.stats is not None:
            for key, value in recovered.items():
                if value:
                    crawler.stats.set_value(f"dwnews/state/recovered/{key}", value)

        def engine_stopped() -> None:
            state.finish_run()
            state.close()

        crawler.signals.connect(engine_stopped, signal=signals.engine_stopped, weak=False)
    _BY_CRAWLER[crawler] = state
    return state


# ----- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """``python -m dwnews.state``: inspect the state, or forget articles so they are exported again."""
    parser = argparse.ArgumentParser(prog="python -m dwnews.state", description=main.__doc__)
    parser.add_argument("--state-dir", type=Path, default=Path(".scrapy/dwnews"), help="default: .scrapy/dwnews")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("stats", help="count articles by status")
    forget = sub.add_parser("forget", help="forget articles by short id (or --all)")
    forget.add_argument("short_ids", nargs="*")
    forget.add_argument("--all", action="store_true", help="forget every article")
    args = parser.parse_args(argv)
    if not (args.state_dir / DB_NAME).exists():
        print(f"no state in {args.state_dir}", file=sys.stderr)
        return 1
    state = ArticleState(args.state_dir, run_id="cli")
    try:
        if args.command == "stats":
            print(json.dumps(state.counts(), sort_keys=True))
        elif args.all:
            print(f"forgot {state.forget_all()} articles")
        elif args.short_ids:
            print(f"forgot {state.forget(args.short_ids)} of {len(args.short_ids)} articles")
        else:
            parser.error("forget: give short ids or --all")
    finally:
        state.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
