"""``scrapy site-check``: the assumptions about DW's Kiswahili site, checked against it (see dwnews.commands.checks).

Exit status: 0 all hold, 3 any fails (or the site cannot be reached), 2 a bad setting.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from dwnews.commands.checks import SiteCheckSpider, report
from dwnews.commands.crawl import refuse
from dwnews.core import stats
from dwnews.core.config import Config
from dwnews.core.outcome import ExitStatus, SettingError


class Command(ScrapyCommand):
    requires_project = True

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None
        if not opts.loglevel:  # the report is the output; Scrapy's INFO lines would bury it
            self.settings.set("LOG_LEVEL", "WARNING", priority="cmdline")
        try:
            Config.read(self.settings)  # a bad setting: one line, exit 2, before Scrapy starts
        except SettingError as error:
            refuse("site-check", error)

    def syntax(self) -> str:
        return "[-s DWNEWS_BASE_URL=https://www.dw.com]"

    def short_desc(self) -> str:
        return "Check every assumption about DW's Kiswahili site against it (a dozen polite requests)"

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise UsageError("site-check takes no arguments; point it elsewhere with -s DWNEWS_BASE_URL=...")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(SiteCheckSpider)
        self.crawler_process.crawl(crawler)
        self.crawler_process.start()
        spider = crawler.spider
        if self.crawler_process.bootstrap_failed or not isinstance(spider, SiteCheckSpider):
            self.exitcode = int(ExitStatus.SCRAPY)
            return
        unreachable = crawler.stats.get_value(stats.UNREACHABLE.key) if crawler.stats is not None else None
        if unreachable:  # robots.txt's middleware may be the first to find out
            spider.evidence.unreachable = str(unreachable)
        lines, ok = report(spider.evidence, spider.site.base_url, spider.site.language, spider.politics)
        requests = crawler.stats.get_value("downloader/request_count", 0) if crawler.stats is not None else 0
        print(f"dwnews site-check of {spider.site.base_url} ({requests} requests)")
        for line in lines:
            print(line)
        sys.stdout.flush()
        self.exitcode = int(ExitStatus.OK if ok else ExitStatus.UNHEALTHY)
