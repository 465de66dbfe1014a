"""``scrapy crawl`` whose exit status tells the truth.

Exit status: 0 the crawl ran and was healthy; 1 Scrapy could not start the crawl; 2 a bad spider
argument or setting (see dwnews.spiders.base), or another run is writing the same feed; 4 a
storage fault (state dir unusable, database corrupt, feed not writable, disk full, bad feed URI);
``DWNEWS_HEALTH_EXIT_CODE`` (3) the crawl ran but failed a health check (dwnews.health). Each is
said in one ``dwnews:`` line. Everything else is Scrapy's own ``crawl`` command.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from dwnews.health import REFUSED_STAT, STORAGE_FAULT_STAT, UNHEALTHY_STAT
from dwnews.urls import redact

EXIT_REFUSED = 2
EXIT_STORAGE_FAULT = 4


def redact_logs() -> None:
    """Every log record is made with the passwords of URLs in it redacted.

    Scrapy logs the overridden settings (``-s DWNEWS_REDIS_URL=redis://:password@...``) and
    errors with URLs in them, and cron mails the log. A record factory sees every record, whichever
    logger and handler writes it (Scrapy replaces its root handler as a crawl starts).
    """
    make = logging.getLogRecordFactory()
    if getattr(make, "dwnews_redacts", False):
        return

    def redacting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return record
        if "@" in message:
            redacted = redact(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        return record

    redacting.dwnews_redacts = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting)


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        redact_logs()
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl politics|article")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        stats = crawler.stats
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif stats is not None and stats.get_value(REFUSED_STAT):
            self.exitcode = EXIT_REFUSED
        elif stats is not None and stats.get_value(STORAGE_FAULT_STAT):
            self.exitcode = EXIT_STORAGE_FAULT
        elif stats is not None and stats.get_value(UNHEALTHY_STAT):
            self.exitcode = crawler.settings.getint("DWNEWS_HEALTH_EXIT_CODE")
