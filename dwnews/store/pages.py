"""The page store: the last full answer of each listing page, sitemap, feed and robots.txt, with
its validators (ETag, Last-Modified), for conditional requests (:mod:`dwnews.crawl.conditional`).

A SQLite file beside the ledger (``pages.sqlite3``); headers as JSON and bodies as bytes, never
pickle. A row that is not what :meth:`PageStore.put` writes costs its own page a full fetch.

Bounded: each crawl that uses the store gets the next run number (:meth:`PageStore.start_run`),
each page the number of the last run that saw it (fetched in full or answered 304);
:meth:`PageStore.prune` removes the pages no run saw in the last ``keep_runs`` runs (a section DW
dropped, a home page's links that changed), so the store holds what recent runs fetch, not every
page ever seen.
"""

from __future__ import annotations

import contextlib
import errno
import json
import sqlite3
import time
from pathlib import Path

DB_NAME = "pages.sqlite3"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    headers TEXT NOT NULL,
    body BLOB NOT NULL,
    stored_at REAL NOT NULL,
    seen_run INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS store_runs (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""


class PageStore:
    """The last full answer per URL, with its validators (a SQLite file; JSON headers, no pickle)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.is_symlink() and not path.exists():
            # SQLite would create the store wherever the link points
            raise OSError(
                errno.ENOENT, "a symbolic link to nothing: the page store is not created through it", str(path)
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(_SCHEMA)
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(pages)")}
        if "seen_run" not in columns:  # a store of an earlier version: its pages count as seen by none
            with contextlib.suppress(sqlite3.OperationalError):  # another run added it meanwhile
                self.db.execute("ALTER TABLE pages ADD COLUMN seen_run INTEGER NOT NULL DEFAULT 0")
        row = self.db.execute("SELECT value FROM store_runs WHERE name = 'runs'").fetchone()
        #: the run pages are marked seen by: the last one started (see :meth:`start_run`)
        self.run = int(row[0]) if row else 0

    def start_run(self) -> int:
        """A crawl starts using the store: its run number (one more than the last run's)."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute(
                "INSERT INTO store_runs (name, value) VALUES ('runs', 1)"
                " ON CONFLICT (name) DO UPDATE SET value = value + 1"
            )
            (run,) = self.db.execute("SELECT value FROM store_runs WHERE name = 'runs'").fetchone()
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        self.run = int(run)
        return self.run

    def get(self, url: str) -> tuple[str | None, str | None, dict[str, list[str]], bytes] | None:
        """The kept answer for ``url``, or None: also for a row that is not what :meth:`put` writes
        (it was edited or damaged), which then costs its own page a full fetch and nothing else.
        Raises sqlite3.Error when the file cannot be read at all."""
        row = self.db.execute("SELECT etag, last_modified, headers, body FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        etag, last_modified, headers_json, body = row
        try:
            headers = json.loads(headers_json) if isinstance(headers_json, str) else None
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder
            headers = None
        validators_ok = all(v is None or isinstance(v, str) for v in (etag, last_modified))
        if not isinstance(headers, dict) or not isinstance(body, bytes) or not validators_ok:
            return None
        # a header whose values are not a list of strings is dropped, the rest of the page kept
        kept = {
            name: values
            for name, values in headers.items()
            if isinstance(values, list) and all(isinstance(value, str) for value in values)
        }
        return etag, last_modified, kept, body

    def put(
        self, url: str, etag: str | None, last_modified: str | None, headers: dict[str, list[str]], body: bytes
    ) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO pages (url, etag, last_modified, headers, body, stored_at, seen_run)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (url, etag, last_modified, json.dumps(headers), body, time.time(), self.run),
        )

    def seen(self, url: str) -> None:
        """This run saw the kept page again (a 304): it stays."""
        self.db.execute("UPDATE pages SET seen_run = ? WHERE url = ?", (self.run, url))

    def prune(self, keep_runs: int) -> int:
        """Remove the pages that no run saw in the last ``keep_runs`` runs (this one included)."""
        return int(self.db.execute("DELETE FROM pages WHERE seen_run <= ?", (self.run - keep_runs,)).rowcount)

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM pages").fetchone()[0])

    def delete(self, url: str) -> None:
        self.db.execute("DELETE FROM pages WHERE url = ?", (url,))

    def close(self) -> None:
        self.db.close()
