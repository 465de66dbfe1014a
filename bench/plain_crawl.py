"""The plain-Scrapy baseline: the same pages as ``scrapy crawl politics``, with no processing.

    python3 bench/plain_crawl.py --base-url http://127.0.0.1:PORT --stats-file stats.json [-s NAME=VALUE ...]

Its own settings (not the project's): no item pipelines, no feed export, no state, no HTML
parsing. It starts at the Kiswahili home page, follows the section links it finds there, and
requests every ``/sw/<slug>/a-<id>`` link of the home and section pages once per content id
(found with a regex), as the politics spider does; article responses are dropped unread.
Same politeness-off settings as the measured crawl (no delay, no AutoThrottle, robots.txt
obeyed, same user agent); pass the same ``CONCURRENT_REQUESTS*`` with ``-s``.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.http import Request, Response

_ARTICLE_RE = re.compile(r'href="(/sw/[^"?#]*?/a-(\d+))[^"]*"')
_SECTION_RE = re.compile(r'href="(/sw/[^"?#]*?/s-\d+)[^"]*"')
HOME_PATH = "/sw/idhaa-ya-kiswahili/s-11588"


class PlainSpider(scrapy.Spider):
    name = "plain"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.requested: set[str] = set()
        self.sections: set[str] = set()

    async def start(self) -> Any:
        yield Request(self.base_url + HOME_PATH, callback=self.parse_listing, cb_kwargs={"home": True})

    def parse_listing(self, response: Response, home: bool = False) -> Iterator[Request]:
        text = response.text  # type: ignore[attr-defined]
        if home:
            for path in _SECTION_RE.findall(text):
                if path not in self.sections and not path.endswith("/s-11588"):
                    self.sections.add(path)
                    yield Request(self.base_url + path, callback=self.parse_listing)
        for path, content_id in _ARTICLE_RE.findall(text):
            if content_id not in self.requested:
                self.requested.add(content_id)
                yield Request(self.base_url + path, callback=self.parse_article)

    def parse_article(self, response: Response) -> None:
        return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", required=True, help="the mirror, e.g. http://127.0.0.1:PORT")
    parser.add_argument("--stats-file", type=Path, required=True, help="where the final crawl stats go (JSON)")
    parser.add_argument(
        "-s", dest="settings", action="append", default=[], metavar="NAME=VALUE", help="a Scrapy setting (repeatable)"
    )
    args = parser.parse_args()
    settings: dict[str, Any] = {
        "BOT_NAME": "plain",
        "USER_AGENT": "dwnews/0.1.0 (Scrapy; DW Kiswahili politics news research crawler)",
        "ROBOTSTXT_OBEY": True,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "INFO",
    }
    for item in args.settings:
        name, _, value = item.partition("=")
        settings[name] = value
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PlainSpider)

    def write_stats(spider: scrapy.Spider, reason: str) -> None:
        assert crawler.stats is not None
        data = {**crawler.stats.get_stats(), "finish_reason": reason}
        args.stats_file.write_text(json.dumps(data, default=str, indent=1), "utf-8")

    crawler.signals.connect(write_stats, signal=signals.spider_closed)
    process.crawl(crawler, base_url=args.base_url)
    process.start()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
