"""The stats of a run written to a JSON file, for schedulers and tests (``DWNEWS_STATS_FILE``)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.statscollectors import StatsCollector

from dwnews.core.config import Config


class StatsFile:
    """Writes the final crawl stats as JSON to ``DWNEWS_STATS_FILE`` (off when empty).

    Written to a temporary file and renamed, so a reader never sees half a file.
    """

    def __init__(self, stats: StatsCollector, path: Path) -> None:
        self.stats = stats
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StatsFile:
        path = Config.read(crawler.settings)["DWNEWS_STATS_FILE"]
        if not path:
            raise NotConfigured
        assert crawler.stats is not None
        extension = cls(crawler.stats, Path(path))
        # once the engine stopped: feeds stored, ledger run ended, health judged (their stats count)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def engine_stopped(self) -> None:
        data: dict[str, Any] = dict(self.stats.get_stats())
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=1, sort_keys=True, default=str)
        os.replace(tmp, self.path)
