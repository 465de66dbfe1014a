"""Feed storage that never leaves a half-written feed file where a finished one is expected.

Scrapy's file storage writes straight into the target file, so a crawl killed mid-way leaves
a truncated feed that looks finished. This storage writes ``<feed>.part``, and when the feed
is closed flushes and fsyncs it, renames it into place (atomic on POSIX), fsyncs the folder,
and only then records its articles as exported in the cross-run state. Registered for plain
paths and ``file://`` URIs, so ``-O siasa.jsonl`` and ``-o`` use it.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import shutil
from pathlib import Path
from typing import IO, Any

from scrapy import Spider
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from dwnews.state import ArticleState, articles_in_feed, state_for

logger = logging.getLogger(__name__)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed file written as ``.part`` and renamed into place when complete."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.format = str((feed_options or {}).get("format", "jsonlines"))
        self.target = Path(self.path).absolute()
        self.part = self.target.with_name(self.target.name + ".part")

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> AtomicFileFeedStorage:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def _state(self) -> ArticleState | None:
        return state_for(self.crawler) if self.crawler is not None else None

    def open(self, spider: Spider) -> IO[bytes]:
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if self.write_mode == "ab" and self.target.exists():
            shutil.copyfile(self.target, self.part)  # append: the finished part holds old + new
        state = self._state()
        if state is not None:
            state.feed_opened(self.target, self.part, self.format)
        return self.part.open(self.write_mode)

    def _keep_only(self, short_ids: set[str]) -> None:
        """Rewrite the part file with the records of these short ids only (JSON Lines, JSON, CSV)."""
        if self.format in ("jsonlines", "jsonl", "jl"):
            data = b"".join(
                line
                for line in self.part.read_bytes().splitlines(keepends=True)
                if line.strip() and json.loads(line).get("short_id") in short_ids
            )
        elif self.format == "json":
            records = [r for r in json.loads(self.part.read_text("utf-8") or "[]") if r.get("short_id") in short_ids]
            lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
            data = f"[\n{lines}\n]".encode()
        elif self.format == "csv":
            rows = list(csv.reader(io.StringIO(self.part.read_text("utf-8-sig"), newline="")))
            out = io.StringIO(newline="")
            writer = csv.writer(out)
            writer.writerows(rows[:1] + [row for row in rows[1:] if row and row[0] in short_ids])
            data = out.getvalue().encode("utf-8-sig")  # short_id is the first column (CSV_COLUMNS)
        else:
            logger.warning("cannot leave taken-over articles out of a %s feed: %s", self.format, self.target)
            return
        with self.part.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def store(self, file: IO[bytes]) -> None:
        file.flush()
        os.fsync(file.fileno())
        file.close()
        state = self._state()
        exported: list[tuple[str, str | None]] = []
        if state is not None:
            try:
                exported = articles_in_feed(self.part, self.format)
            except ValueError as error:
                logger.warning("%s: articles in %s are not recorded as exported", error, self.target)
            if hasattr(state, "fence"):  # distributed mode: keep only what no other worker took over
                accepted = state.fence(self.target, exported)
                if len(accepted) < len(exported):
                    self._keep_only(accepted)
                    logger.warning(
                        "%d articles of %s were taken over by another worker and left out of it",
                        len(exported) - len(accepted),
                        self.target,
                    )
        os.replace(self.part, self.target)
        _fsync_dir(self.target.parent)
        if state is not None:
            state.feed_stored(self.target, exported)


async def _finished(started: Deferred[Any]) -> None:
    await maybe_deferred_to_future(started)


class PromptBatchFeedExporter(FeedExporter):
    """Scrapy's feed exporter, but a full batch is stored when it fills, not when the crawl ends.

    With ``FEED_EXPORT_BATCH_ITEM_COUNT`` Scrapy 2.15 starts a new file per batch but only
    stores (closes) the finished ones at the end of the crawl, so a killed crawl loses every
    batch. Storing each batch as it fills makes its articles count as exported at once: a
    long crawl killed mid-way keeps all but its last, unfinished batch. Relies on the exporter's
    private ``_pending_close_coros`` list (Scrapy pinned at 2.15.2; tests/test_incremental.py
    checks the behaviour).
    """

    def item_scraped(self, item: Any, spider: Spider) -> None:
        pending = self._pending_close_coros
        before = len(pending)
        super().item_scraped(item, spider)
        for index in range(before, len(pending)):
            started = deferred_from_coro(pending[index])  # runs now, up to its first wait
            pending[index] = _finished(started)  # still awaited when the spider closes
