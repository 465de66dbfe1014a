"""The stats of a run written to a JSON file, for schedulers and tests (``DWNEWS_STATS_FILE``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from dwnews.core.config import Config
from dwnews.core.outcome import FeedBusyError, StorageError
from dwnews.crawl.ledger import ledger_keeper
from dwnews.store.outputs import Output

#: how long the stats file waits for another run writing the same file (a write takes milliseconds)
LOCK_WAIT = 10.0


class StatsFile:
    """Writes the final crawl stats as JSON to ``DWNEWS_STATS_FILE`` (off when empty).

    Written through the one output writer (:mod:`dwnews.store.outputs`): a temporary file renamed
    into place, so a reader never sees half a file and no link planted beside it is written through.
    Two runs finishing at once with the same stats file take turns (up to :data:`LOCK_WAIT` s).
    A file that cannot be written is a storage fault (exit 4), one that stays busy a refusal (exit
    2), each said in one line (``refused`` and ``fault``, the ledger keeper's, report them).
    """

    def __init__(
        self,
        stats: StatsCollector,
        path: Path,
        refused: Callable[[str], None] | None = None,
        fault: Callable[[StorageError], None] | None = None,
    ) -> None:
        self.stats = stats
        self.path = path
        self.refused = refused
        self.fault = fault

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = Config.read(crawler.settings)["DWNEWS_STATS_FILE"]
        if not path:
            raise NotConfigured
        assert crawler.stats is not None
        # the keeper is looked up when needed: extensions are still being built here
        extension = cls(
            crawler.stats,
            Path(path),
            lambda message: ledger_keeper(crawler).refuse(message),
            lambda fault: ledger_keeper(crawler).fault(fault),
        )
        # once the engine stopped: feeds stored, ledger run ended, health judged (their stats count)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        try:
            self.write(dict(self.stats.get_stats()))
        except FeedBusyError as busy:
            if self.refused is None:
                raise
            self.refused(f"stats not written: {busy}")
        except (StorageError, OSError) as error:
            if self.fault is None:
                raise
            if isinstance(error, OSError):  # writing into the temporary file (a full disk)
                error = StorageError(error.filename or self.path, error.strerror or str(error))
            self.fault(StorageError(error.path, f"stats not written: {error.cause}"))

    def write(self, data: dict[str, Any]) -> None:
        text = json.dumps(data, indent=1, sort_keys=True, default=str)
        with Output.open(self.path, wait=LOCK_WAIT) as output:
            with output.handle() as handle:
                handle.write(text.encode("utf-8"))
            output.commit()
