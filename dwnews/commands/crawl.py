"""``scrapy crawl`` whose exit status tells the truth.

Before Scrapy starts (and its banner), the spider's arguments, every ``DWNEWS_*`` setting and,
in distributed mode, whether Redis answers are checked: a bad one is one ``dwnews:`` line and exit
status 2. After the crawl, the exit status is the verdict of :mod:`dwnews.crawl.health`: 0 the
crawl ran and was healthy; 1 Scrapy could not start the crawl; 2 a refused run (another run writes
the same feed, Splash does not answer); 4 a storage fault (state dir unusable, database corrupt,
feed not writable, disk full, bad feed URI); ``DWNEWS_HEALTH_EXIT_CODE`` (3) the crawl ran but
failed a health check. Everything else is Scrapy's own ``crawl`` command.
"""

from __future__ import annotations

import argparse
import sys

from scrapy.commands import ScrapyHelpFormatter
from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.crawler import Crawler
from scrapy.exceptions import UsageError
from scrapy.settings import Settings
from scrapy.spiderloader import get_spider_loader

from dwnews.core.config import Config
from dwnews.core.outcome import ExitStatus, SettingError
from dwnews.core.urls import redact
from dwnews.crawl.health import exit_status
from dwnews.spiders.article import ArticleSpider
from dwnews.spiders.base import DwSpider
from dwnews.spiders.politics import PoliticsSpider

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
    lines = ["spiders and their arguments (-a NAME=VALUE):"]
    for spider in (PoliticsSpider, ArticleSpider):
        summary = (spider.__doc__ or "").strip().splitlines()[0]
        lines.append(f"  {spider.name}: {summary}")
        for name, meaning in spider.arguments.items():
            lines.append(f"    -a {name}=...  {meaning}")
    return "\n".join(lines) + "\n\n" + _EXAMPLES


def refuse(what: str, error: Exception) -> None:
    """One ``dwnews:`` line and exit status 2, before Scrapy's banner (a command-line usage error)."""
    sys.stderr.write(f"dwnews: {what}: {error}\n" if what else f"dwnews: {error}\n")
    sys.stderr.flush()
    raise SystemExit(int(ExitStatus.USAGE))


def check_before_start(settings: Settings, name: str, arguments: dict[str, str]) -> None:
    """Spider arguments, ``DWNEWS_*`` settings and Redis checked before Scrapy starts; a bad one ends
    the command with one line and exit 2 (the spider's own checks run again, without output, when
    Scrapy builds it)."""
    try:
        spidercls = get_spider_loader(settings).load(name)
    except KeyError:
        return  # Scrapy's own "Spider not found" follows
    if not issubclass(spidercls, DwSpider):
        return
    try:
        config = Config.read(settings)
        spidercls.from_crawler(Crawler(spidercls, settings), **arguments)
    except SettingError as error:
        refuse(spidercls.name, error)
    redis_url = config["DWNEWS_REDIS_URL"]
    if not redis_url:
        return
    from dwnews.store.redis import ping  # (redis-py only in distributed mode: 50 ms at every start)

    problem = ping(redis_url)
    if problem:
        refuse(
            spidercls.name,
            SettingError(
                f"DWNEWS_REDIS_URL={redact(redis_url)}: Redis does not answer ({problem}); start it "
                "(redis-server) or leave DWNEWS_REDIS_URL unset for a single process"
            ),
        )


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
            assert self.settings is not None
            check_before_start(self.settings, args[0], opts.spargs)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            raise UsageError("give exactly one spider: scrapy crawl politics|article")
        assert self.crawler_process is not None
        crawler = self.crawler_process.create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = int(ExitStatus.SCRAPY)
        elif crawler.stats is not None:
            self.exitcode = exit_status(crawler.stats.get_stats(), Config.read(crawler.settings))
