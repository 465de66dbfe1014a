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

from scrapy.commands import ScrapyHelpFormatter
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


_EXAMPLES = """examples:
  scrapy crawl politics                                  every source; new articles to feeds/politics-<time>.jsonl
  scrapy crawl politics -O siasa.jsonl                   the same, to one file
  scrapy crawl politics -a section=s-12756               one section (Afrika), by id, path or URL
  scrapy crawl politics -a source=news-sitemap,feed      some sources only
  scrapy crawl politics -a source=sitemap -a since=2024-01-01 -a until=2024-12-31   a backfill of 2024
  scrapy crawl article -a url=https://www.dw.com/sw/x/a-66808855,https://p.dw.com/p/4WK2B -O a.jsonl
  scrapy crawl politics -s DWNEWS_BASE_URL=http://127.0.0.1:8000    a mirror of the site
  scrapy site-check                                      what holds of the assumptions about the live site

exit status: 0 ok, 1 Scrapy could not start, 2 bad argument or setting, 3 unhealthy crawl, 4 storage fault
"""


def spider_help() -> str:
    """The dwnews spiders, their arguments (``-a NAME=VALUE``) and examples, for ``scrapy crawl -h``."""
    from dwnews.spiders.article import ArticleSpider
    from dwnews.spiders.politics import PoliticsSpider

    lines = ["spiders and their arguments (-a NAME=VALUE):"]
    for spider in (PoliticsSpider, ArticleSpider):
        summary = (spider.__doc__ or "").strip().splitlines()[0]
        lines.append(f"  {spider.name}: {summary}")
        for name, meaning in spider.arguments.items():
            lines.append(f"    -a {name}=...  {meaning}")
    return "\n".join(lines) + "\n\n" + _EXAMPLES


class _KeepLayoutFormatter(ScrapyHelpFormatter):
    """Scrapy's help layout, with the spider list and examples printed as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


class Command(ScrapyCrawlCommand):
    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.epilog = spider_help()
        parser.formatter_class = _KeepLayoutFormatter

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if len(args) == 1:
            self.check_before_start(args[0], opts.spargs)

    def check_before_start(self, name: str, spargs: dict[str, str]) -> None:
        """Spider arguments and ``DWNEWS_*`` settings checked before Scrapy's start-up banner: a bad
        one prints one ``dwnews:`` line and exits 2 (dwnews.spiders.base.fail_at_start), first."""
        from scrapy.crawler import Crawler
        from scrapy.spiderloader import get_spider_loader

        from dwnews.spiders.base import DwSpider

        assert self.settings is not None
        try:
            spidercls = get_spider_loader(self.settings).load(name)
        except KeyError:
            return  # Scrapy's own "Spider not found" follows
        if issubclass(spidercls, DwSpider):
            spidercls.from_crawler(Crawler(spidercls, self.settings), **spargs)

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
