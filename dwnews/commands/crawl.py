"""``scrapy crawl`` that exits non-zero when the crawl was unhealthy.

Exit status: 0 healthy; 1 Scrapy could not start the crawl; 2 a bad spider argument or setting
(see dwnews.spiders.base); ``DWNEWS_HEALTH_EXIT_CODE`` (3) the crawl ran but failed a health
check (dwnews.health). Everything else is Scrapy's own ``crawl`` command.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from dwnews.health import UNHEALTHY_STAT


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl politics|article")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
        elif crawler.stats is not None and crawler.stats.get_value(UNHEALTHY_STAT):
            self.exitcode = crawler.settings.getint("DWNEWS_HEALTH_EXIT_CODE", 3)
