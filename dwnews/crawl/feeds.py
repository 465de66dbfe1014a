"""Feed storage that never leaves a half-written feed where a finished one is expected.

Scrapy's file storage writes straight into the target file, so a crawl killed mid-way leaves a
truncated feed that looks finished. Here every local feed goes through the one output writer,
:class:`dwnews.store.outputs.Output`: a regular file is written as a temporary file of an
unpredictable name beside it (never through a link a local user planted), locked against a second
writer; when the feed is closed it is flushed, fsynced, its identity recorded in the ledger,
renamed into place (atomic on POSIX), the folder fsynced, and only then are its articles recorded
as exported in the ledger.

- A second run that would write the same feed path refuses to start (exit 2, before any request)
  instead of sharing the file; so does a run whose target is another user's symlink, or whose lock
  file is a link, a FIFO or another user's file (see :mod:`dwnews.store.outputs`).
- A target that is not a regular file (``/dev/null``, ``/dev/stdout``, a FIFO, a terminal, and a
  symlink to one) or ``stdout:`` is written in place, never renamed over; a symlink of this user's
  to a regular file is followed, and its target replaced atomically (its mode kept). A copy of what
  was written in place is spooled so that the articles in it can be recorded as exported.
- A storage fault (read-only folder, full disk, bad URI) is reported by the ledger owner as one
  line; the unfinished feed is discarded (its temporary file removed) and nothing in it is exported.
  A run killed before its feed was renamed leaves the temporary file, whose name the ledger
  recorded when the feed was opened: the next run removes it. A crawl stopped by a second Ctrl-C
  (no clean shutdown) removes it when the interpreter exits.

Registered for plain paths, ``file://`` URIs and ``stdout:``, so ``-O``/``-o`` use it.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import logging
import os
import sys
import tempfile
from collections.abc import Coroutine
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.extensions.feedexport import FeedExporter, FileFeedStorage
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from dwnews.core import keys
from dwnews.core.outcome import FeedBusyError, StorageError
from dwnews.crawl.ledger import LedgerKeeper, ledger_keeper
from dwnews.store.feedfiles import JSONLINES, short_ids_in_file
from dwnews.store.outputs import Output

logger = logging.getLogger(__name__)


def _fault(error: OSError, path: Path | str) -> StorageError:
    return StorageError(error.filename or path, error.strerror or str(error))


class _Tee(io.RawIOBase):
    """Writes to a target written in place and to a spool the feed's short ids are read from."""

    def __init__(self, target: IO[bytes], spool: IO[bytes]) -> None:
        super().__init__()
        self.target = target
        self.spool = spool

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        chunk = bytes(data)
        self.target.write(chunk)
        self.spool.write(chunk)
        return len(chunk)

    def flush(self) -> None:
        if not self.closed:
            self.target.flush()
            self.spool.flush()

    def close(self) -> None:
        pass  # the storage closes target and spool itself, after reading the spool


class AtomicFileFeedStorage(FileFeedStorage):
    """A local feed: a temporary file renamed into place when complete, or in place for non-files."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.crawler = crawler
        self.format = str((feed_options or {}).get("format", "jsonlines"))
        self.target = Path(self.path).absolute()
        self.output: Output | None = None
        self.part: Path | None = None  # the temporary file (None: written in place)
        self.in_place = False
        self.prepared = False
        self._spool: IO[bytes] | None = None
        self._direct: IO[bytes] | None = None
        self.failed = False
        self.renamed = False
        self.finished = False  # stored or discarded
        self.file: IO[bytes] | None = None  # what open() gave the exporter (discarded with the feed)

    @classmethod
    def from_crawler(
        cls, crawler: Crawler, uri: str, *, feed_options: dict[str, Any] | None = None
    ) -> AtomicFileFeedStorage:
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def _owner(self) -> LedgerKeeper | None:
        return ledger_keeper(self.crawler) if self.crawler is not None else None

    def _ledger(self) -> Any:
        owner = self._owner()
        return owner.ledger if owner is not None else None

    # ----- opening ---------------------------------------------------------------------------------

    def prepare(self) -> None:
        """Check and lock the target, and create its temporary file, before the crawl writes to it.

        Raises :class:`StorageError` (cannot be written) or :class:`FeedBusyError` (another run has
        it, or it is refused: see :mod:`dwnews.store.outputs`).
        """
        if self.prepared:
            return
        self.output = Output.open(self.target, append=self.write_mode == "ab")
        self.target, self.part, self.in_place = self.output.target, self.output.temp, self.output.in_place
        self.prepared = True
        ledger = self._ledger()
        if ledger is not None:
            # the temporary file's name, so that the next run removes it should this one be killed
            ledger.feed_opened(self.target, self.part, self.format)

    def open(self, spider: Spider) -> IO[bytes]:
        self.file = self._open()
        return self.file

    def _open(self) -> IO[bytes]:
        try:
            self.prepare()
            if self.in_place:
                self._direct = self._open_in_place()
                self._spool = tempfile.TemporaryFile()  # noqa: SIM115 -- closed in store()/discard()
                return _Tee(self._direct, self._spool)  # type: ignore[return-value]
            assert self.output is not None
            return self.output.handle()
        except OSError as error:
            return self._failed(_fault(error, self.part or self.target))
        except (StorageError, FeedBusyError) as error:
            return self._failed(error)

    def _open_in_place(self) -> IO[bytes]:
        assert self.output is not None
        return self.output.handle()

    def _failed(self, error: StorageError | FeedBusyError) -> IO[bytes]:
        """Report the fault; the exporter writes into a sink that is never stored."""
        owner = self._owner()
        if owner is not None:
            if isinstance(error, FeedBusyError):
                owner.refuse(str(error))
            else:
                owner.fault(error)
        self.failed = True
        if self.output is not None:
            self.output.abort()
        return io.BytesIO()

    # ----- closing ---------------------------------------------------------------------------------

    def store(self, file: IO[bytes]) -> None:
        self.finished = True
        if self.failed:
            return
        owner = self._owner()
        if owner is not None and owner.stopped:
            self.discard(file)
            return
        try:
            if self.in_place:
                self._store_in_place(file)
            else:
                self._store_atomically(file)
        except OSError as error:
            fault = _fault(error, self.part or self.target)
            self._after_fault(file)
            if owner is not None:
                owner.fault(fault)
            raise fault from None
        except StorageError as fault:
            self._after_fault(file)
            if owner is not None:
                owner.fault(fault)
            raise

    def _short_ids(self, feed: IO[bytes]) -> list[str]:
        try:
            return short_ids_in_file(feed, self.format)
        except ValueError as error:
            logger.warning("%s: articles in %s are not recorded as exported", error, self.target)
            return []

    def _store_atomically(self, file: IO[bytes]) -> None:
        output = self.output
        assert output is not None
        with contextlib.suppress(ValueError):  # closed already (a post-processing plugin closes it)
            file.flush()
        file.close()
        ledger = self._ledger()
        with output.read_back() as written:  # (read with no ledger too: the summary counts them)
            short_ids = self._short_ids(written)
        if ledger is not None:
            accepted = ledger.fence(self.target, short_ids)
            if len(accepted) < len(short_ids):
                self._keep_only(accepted)
                logger.warning(
                    "%d articles of %s were taken over by another worker and left out of it",
                    len(short_ids) - len(accepted),
                    self.target,
                )
                short_ids = [s for s in short_ids if s in accepted]
        try:
            identity = output.finish()
            if ledger is not None:
                # what the rename keeps: after a kill between the rename and feed_stored, the next
                # run commits the file at the path only if it is still this one
                ledger.feed_ready(self.target, identity.text(), short_ids)
            output.commit()
        except (OSError, StorageError):
            self.renamed = output.renamed
            if ledger is not None and not output.renamed:  # the Redis ledger recorded them at fence()
                ledger.unfence(self.target, set(short_ids))
            raise
        self.renamed = True  # from here on a fault leaves the feed for the next run to record
        if ledger is not None:
            ledger.feed_stored(self.target, short_ids)
        self._summarise(len(short_ids))

    def _summarise(self, records: int) -> None:
        if self.crawler is not None:
            self.crawler.signals.send_catch_log(keys.feed_stored, path=self.target, records=records)

    def _store_in_place(self, file: IO[bytes]) -> None:
        assert self._direct is not None and self._spool is not None
        file.flush()
        with contextlib.suppress(OSError):  # pipes, terminals and devices may refuse fsync
            os.fsync(self._direct.fileno())
        self._direct.close()
        if self.output is not None:
            self.output.commit()
        ledger = self._ledger()
        self._spool.seek(0)
        short_ids = self._short_ids(self._spool)
        if ledger is not None:
            accepted = ledger.fence(self.target, short_ids)
            short_ids = [s for s in short_ids if s in accepted]
            ledger.feed_stored(self.target, short_ids)
        self._summarise(len(short_ids))
        self._spool.close()

    def _after_fault(self, file: IO[bytes]) -> None:
        """An unfinished feed is discarded; one already in place stays, for the next run to record
        (the ledger keeps this run's claims and records until then)."""
        if not self.renamed:
            self.discard(file)

    def discard(self, file: IO[bytes] | None) -> None:
        """Drop an unfinished feed: its temporary file is removed, nothing in it is exported."""
        self.finished = True
        with contextlib.suppress(Exception):
            if file is not None:
                file.close()
        for handle in (self._direct, self._spool):
            with contextlib.suppress(Exception):
                if handle is not None:
                    handle.close()
        if self.output is not None:
            self.output.abort()  # never another run's file: only the one this output created
        with contextlib.suppress(Exception):
            ledger = self._ledger()
            if ledger is not None and self.prepared:
                ledger.feed_aborted(self.target)

    def _keep_only(self, short_ids: set[str]) -> None:
        """Rewrite the temporary file with the records of these short ids only (JSON Lines, JSON, CSV)."""
        assert self.output is not None
        with self.output.read_back() as written:
            raw = written.read()
        if self.format in JSONLINES:
            data = b"".join(
                line
                for line in raw.splitlines(keepends=True)
                if line.strip() and json.loads(line).get("short_id") in short_ids
            )
        elif self.format == "json":
            records = [r for r in json.loads(raw.decode("utf-8") or "[]") if r.get("short_id") in short_ids]
            lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
            data = f"[\n{lines}\n]".encode()
        elif self.format == "csv":
            bom = raw.startswith(codecs.BOM_UTF8)  # kept as written (FEED_EXPORT_ENCODING=utf-8-sig)
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
            out = io.StringIO(newline="")
            writer = csv.writer(out)
            writer.writerows(rows[:1] + [row for row in rows[1:] if row and row[0] in short_ids])
            data = out.getvalue().encode("utf-8-sig" if bom else "utf-8")  # short_id is the first column
        else:
            logger.warning("cannot leave taken-over articles out of a %s feed: %s", self.format, self.target)
            return
        self.output.rewrite(data)


class StdoutFeedStorage(AtomicFileFeedStorage):
    """``stdout:``: written in place to the standard output, its articles recorded once written."""

    def __init__(self, uri: str, *, feed_options: dict[str, Any] | None = None, crawler: Crawler | None = None) -> None:
        super().__init__("stdout.jsonl", feed_options=feed_options, crawler=crawler)
        self.target = Path("/dev/stdout")
        self.in_place = True

    def prepare(self) -> None:
        if not self.prepared:
            ledger = self._ledger()
            if ledger is not None:
                ledger.feed_opened(Path(f"stdout:{os.getpid()}"), None, self.format)
            self.prepared = True

    def _open_in_place(self) -> IO[bytes]:
        return os.fdopen(os.dup(sys.stdout.fileno()), "wb")


class _QuietStorageFaults(logging.Filter):
    """Scrapy logs a failed feed store with a traceback; a storage fault was said in one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, StorageError)


async def _finished(started: Deferred[Any]) -> None:
    await maybe_deferred_to_future(started)


class PromptBatchFeedExporter(FeedExporter):
    """Scrapy's feed exporter, with the feeds checked at start and batches stored as they fill.

    - When the spider opens, every feed URI is rendered and its target checked and locked: a bad
      URI or an unwritable folder is a storage fault (exit 4), a feed another run is writing a
      refusal (exit 2), both before any request.
    - With ``FEED_EXPORT_BATCH_ITEM_COUNT`` Scrapy 2.15 starts a new file per batch but stores
      the finished ones only when the crawl ends, so a killed crawl would lose every batch; here a
      full batch is stored at once. This uses the exporter's private ``_pending_close_coros``
      (Scrapy pinned at 2.15.2; ``tests/test_feeds.py`` fails if it changes).
    - After a storage fault nothing more is written, and unfinished feeds are discarded.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._quiet = _QuietStorageFaults()

    def _owner(self) -> LedgerKeeper:
        return ledger_keeper(self.crawler)

    def unusable_feed(self) -> str | None:
        """Why a configured feed could not take part in exactly-once export, or None.

        The ledger records a feed's articles by reading their short ids back from the finished
        file, so a feed must be local, in a format read back (JSON Lines, JSON, CSV), hold the
        ``short_id`` field, and JSON must not be appended to (two arrays in one file).
        """
        configured = [str(uri) for uri in self.crawler.settings.getdict("FEEDS")]
        for uri in configured:
            if uri not in self.feeds:
                return f"feed {uri}: Scrapy cannot store it (see its error above)"
        for uri, options in self.feeds.items():
            scheme = urlsplit(str(uri)).scheme
            fmt = str(options.get("format"))
            fields = options.get("fields")
            if scheme not in ("", "file", "stdout") and len(scheme) > 1:  # "C:" is a drive, not a scheme
                return f"feed {uri}: only local files and stdout take part in exactly-once export"
            if fmt not in (*JSONLINES, "json", "csv"):
                return f"feed {uri}: the {fmt} format cannot be read back; use .jsonl, .json or .csv"
            if fmt == "json" and not options.get("overwrite", False) and scheme != "stdout":
                return f"feed {uri}: appending (-o) to a JSON array makes invalid JSON; use -O, or .jsonl with -o"
            if fields is not None and "short_id" not in fields:
                return f"feed {uri}: its fields leave out short_id, by which its articles are recorded"
        return None

    def open_spider(self, spider: Spider) -> None:
        # for this crawl only: a fault in a feed's store was said in one line, no traceback after it
        logging.getLogger("scrapy.extensions.feedexport").addFilter(self._quiet)
        owner = self._owner()
        if owner.stopped:
            return
        try:
            ledger_on = owner.ledger is not None
        except StorageError:
            return  # reported
        problem = self.unusable_feed() if ledger_on else None
        if problem:
            owner.refuse(f"{problem} (or crawl with -s DWNEWS_INCREMENTAL=False)")
            return
        try:
            super().open_spider(spider)
        except (KeyError, ValueError, TypeError) as error:
            templates = ", ".join(self.feeds)
            owner.fault(StorageError(templates, f"bad feed URI ({type(error).__name__}: {error})"))
            self.slots = []
            return
        for slot in self.slots:
            storage = slot.storage
            if not isinstance(storage, AtomicFileFeedStorage):
                continue
            try:
                storage.prepare()
            except FeedBusyError as busy:
                owner.refuse(str(busy))
            except StorageError as fault:
                owner.fault(fault)
            if owner.stopped:
                break
        if owner.stopped:
            self._discard_all()

    def _discard_all(self) -> None:
        for slot in self.slots:
            if isinstance(slot.storage, AtomicFileFeedStorage):
                slot.storage.discard(slot.storage.file)
        self.slots = []

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if self._owner().stopped:
            return
        pending: list[Coroutine[Any, Any, None]] = self._pending_close_coros
        before = len(pending)
        try:
            super().item_scraped(item, spider)
        except OSError as error:  # writing the record (a full disk): the feeds are not finished
            where = error.filename or ", ".join(str(getattr(slot.storage, "part", slot.uri)) for slot in self.slots)
            self._owner().fault(StorageError(where, error.strerror or str(error)))
            self._discard_all()
            return
        for index in range(before, len(pending)):
            started = deferred_from_coro(pending[index])  # runs now, up to its first wait
            pending[index] = _finished(started)  # still awaited when the spider closes

    async def close_spider(self, spider: Spider) -> None:
        if self._owner().stopped:
            self._discard_all()
        await super().close_spider(spider)
        for slot in self.slots:
            # a feed prepared at start that Scrapy does not store (no items, FEED_STORE_EMPTY off)
            storage = slot.storage
            if isinstance(storage, AtomicFileFeedStorage) and storage.prepared and not storage.finished:
                storage.discard(storage.file)
        logging.getLogger("scrapy.extensions.feedexport").removeFilter(self._quiet)


class FeedExporterCheck:
    """Refuses a crawl whose records would go nowhere (exit 2, before any request).

    Scrapy disables its feed exporter, with an error line, for a feed it cannot store (an unknown
    storage scheme or format); and a crawl given no feed (no -O/-o, DWNEWS_DEFAULT_FEED empty) has
    none. Either would download articles, keep none, and say all went well.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> FeedExporterCheck:
        check = cls(crawler)
        crawler.signals.connect(check.spider_opened, signal=signals.spider_opened)
        return check

    def spider_opened(self, spider: Spider) -> None:
        feeds = self.crawler.settings.getdict("FEEDS")
        keeper = ledger_keeper(self.crawler)
        if feeds and not keeper.stopped and self.crawler.get_extension(PromptBatchFeedExporter) is None:
            keeper.refuse(f"no feed can be written to {', '.join(map(str, feeds))} (Scrapy's error above says why)")
        elif not feeds and not keeper.stopped and getattr(spider, "exports", False):
            keeper.refuse(
                "no feed: the articles this crawl downloads would be kept nowhere; give -O FILE (or -o FILE), "
                "or leave DWNEWS_DEFAULT_FEED set (it is empty)"
            )
