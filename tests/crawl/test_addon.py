"""The add-on wires the crawl's components into whatever the user's settings already hold."""

from __future__ import annotations

from scrapy.utils.test import get_crawler

from dwnews.crawl.feeds import AtomicFileFeedStorage
from dwnews.crawl.rendering import RenderingMiddleware
from dwnews.spiders.politics import PoliticsSpider
from tests.helpers import BASE, project_values


def test_a_users_middlewares_and_feed_storages_keep_ours_beside_them() -> None:
    """A DOWNLOADER_MIDDLEWARES or FEED_STORAGES dict of the user's (project or -s priority, above
    the add-on's) replaced the add-on's: no rendering with SPLASH_URL, and -O written by Scrapy's
    non-atomic storage, without a word."""
    values = project_values(
        DWNEWS_BASE_URL=BASE,
        SPLASH_URL="http://127.0.0.1:8050",
        DOWNLOADER_MIDDLEWARES={"scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 400},
        FEED_STORAGES={"s3": "scrapy.extensions.feedexport.S3FeedStorage"},
    )
    settings = get_crawler(PoliticsSpider, values).settings
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares[RenderingMiddleware] == 540
    assert middlewares["scrapy.downloadermiddlewares.useragent.UserAgentMiddleware"] == 400
    assert {type_.__name__ for type_ in middlewares if not isinstance(type_, str)} >= {
        "SplashCookiesMiddleware",
        "SplashMiddleware",
    }
    storages = settings.getdict("FEED_STORAGES")
    assert storages[""] is AtomicFileFeedStorage and storages["file"] is AtomicFileFeedStorage
    assert storages["s3"] == "scrapy.extensions.feedexport.S3FeedStorage"
