"""The page store: the last full answer of each listing page, sitemap, feed and robots.txt, with
its validators (ETag, Last-Modified), for conditional requests (:mod:`dwnews.crawl.conditional`).

A SQLite file beside the ledger (``pages.sqlite3``); headers as JSON and bodies as bytes, never
pickle. A row that is not what :meth:`PageStore.put` writes costs its own page a full fetch.
"""

from __future__ import annotations

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
    stored_at REAL NOT NULL
)
"""


class PageStore:
    """The last full answer per URL, with its validators (a SQLite file; JSON headers, no pickle)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(_SCHEMA)

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
            "INSERT OR REPLACE INTO pages (url, etag, last_modified, headers, body, stored_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (url, etag, last_modified, json.dumps(headers), body, time.time()),
        )

    def delete(self, url: str) -> None:
        self.db.execute("DELETE FROM pages WHERE url = ?", (url,))

    def close(self) -> None:
        self.db.close()
