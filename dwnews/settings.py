"""Scrapy settings for dwnews: the one settings module Scrapy loads.

The ``DWNEWS_*`` settings are defined, typed and documented once, in :mod:`dwnews.core.config`;
their defaults are set here from there. The crawl's components (middlewares, pipelines, extensions,
feed storage, and Splash or Redis when configured) are wired by the add-on,
:class:`dwnews.crawl.addon.Addon`. Override any setting per run with ``-s NAME=VALUE``.
"""

import copy

from dwnews import __version__
from dwnews.core.config import DEFAULTS
from dwnews.core.record import FIELD_NAMES

BOT_NAME = "dwnews"
SPIDER_MODULES = ["dwnews.spiders"]
NEWSPIDER_MODULE = "dwnews.spiders"
# dwnews' `crawl` (an exit status that tells the truth), `site-check`
COMMANDS_MODULE = "dwnews.commands"
ADDONS = {"dwnews.crawl.addon.Addon": 0}

globals().update(copy.deepcopy(DEFAULTS))  # every DWNEWS_* setting, with its default (dwnews.core.config)

# ---- politeness -----------------------------------------------------------------------------

USER_AGENT = f"dwnews/{__version__} (Scrapy; DW Kiswahili politics news research crawler)"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
# An article response gives at most one item: Scrapy's default of 100 parallel item tasks per
# response only costs time (measured in bench/: about 1 ms an article).
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
# Bounds on what one page may cost: DW article pages are about 200 KB. Sitemaps carry their own
# bound (DWNEWS_SITEMAP_MAXSIZE), and Scrapy's scraper keeps taking responses while one that large
# is read (its default 5 MB would stop all downloads until a big sitemap is done).
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 64 * 1024 * 1024
# One site: Scrapy's plain priority queue (its default spreads requests over many domains' download
# slots, at the cost of a parsed URL kept per queued request: 50,000 from one sitemap).
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
REDIRECT_MAX_TIMES = 5
# Retries (500, 502, 503, 504, 522, 524, 408, 429 and network errors) wait DWNEWS_RETRY_BACKOFF x
# 2^(attempt-1) seconds, or the server's Retry-After, at most DWNEWS_RETRY_MAX_DELAY.
RETRY_TIMES = 3
# An overall time limit: a scheduled politics run takes a few minutes; one that hangs on a server that
# trickles holds its cron lock and misses the next runs. Reached, the crawl ends unhealthy (exit 3)
# and says so. A backfill (-a source=sitemap) sets its own: -s CLOSESPIDER_TIMEOUT=0 (none).
CLOSESPIDER_TIMEOUT = 3600
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# HTTP cache for development (`-s HTTPCACHE_ENABLED=True`): repeat a crawl without refetching.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0

# ---- export -----------------------------------------------------------------------------------

FEED_EXPORT_ENCODING = "utf-8"
# The record's fields in their order (an item's working fields are never exported).
FEED_EXPORT_FIELDS = list(FIELD_NAMES)
LOG_LEVEL = "INFO"
