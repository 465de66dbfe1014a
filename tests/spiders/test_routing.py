"""The politics spider's routing, in-process on the mirror's saved pages: what it follows and how far."""

from __future__ import annotations

from pathlib import Path

from scrapy import Request

from dwnews.core.keys import Meta
from tests.helpers import HOME, make_crawler, page, stat


def test_the_sections_followed_in_a_run_are_bounded(tmp_path: Path) -> None:
    crawler, spider, middleware = make_crawler(tmp_path, DWNEWS_MAX_SECTIONS=2)
    response = page(HOME, "s-11588.html")
    output = list(middleware.process_spider_output(response, spider.parse_listing(response, follow_sections=True)))
    listings = [r for r in output if isinstance(r, Request) and r.meta.get(Meta.PAGE) == "listing"]
    linked = stat(crawler, "dwnews/listing/section_links")
    assert linked > 2 and len(listings) == 2
    assert stat(crawler, "dwnews/bounds/sections") == linked - 2
