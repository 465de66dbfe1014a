"""Scrapy settings for dwnews: the one settings module.

Every ``DWNEWS_*`` setting is documented here with its default, and in the README.
Override any of them per run with ``-s NAME=VALUE``.
"""

from dwnews import __version__
from dwnews.items import FIELD_NAMES

BOT_NAME = "dwnews"
SPIDER_MODULES = ["dwnews.spiders"]
NEWSPIDER_MODULE = "dwnews.spiders"
# dwnews' `crawl` command: Scrapy's, with a non-zero exit status for an unhealthy crawl.
COMMANDS_MODULE = "dwnews.commands"

# ---- dwnews settings ------------------------------------------------------------------------

# Where the site lives. Every URL the spiders build derives from it and they accept pages on
# its host only, so the same spiders crawl www.dw.com or a mirror (the tests' loopback copy).
DWNEWS_BASE_URL = "https://www.dw.com"

# Where cross-run state lives: the article ledger (articles.sqlite3: what was exported, with the
# records themselves, what was skipped, what failed). Relative to the working directory.
DWNEWS_STATE_DIR = ".scrapy/dwnews"

# Incremental crawls: remember exported (and skipped non-politics) articles in an SQLite file in
# DWNEWS_STATE_DIR and skip them, before downloading, on later runs. False: export everything,
# neither reading nor writing the state.
DWNEWS_INCREMENTAL = True
# Listing pages, sitemaps, the feed and robots.txt are asked for with If-None-Match /
# If-Modified-Since from the last run (DWNEWS_STATE_DIR/pages.sqlite3); a 304 costs no body
# (dwnews.conditional). Only with DWNEWS_INCREMENTAL.
DWNEWS_CONDITIONAL_REQUESTS = True

# An article that failed for good (404, 5xx after retries, not HTML, ...) is requested again by the
# next runs of the politics spider until it succeeds or has failed this many runs (then it is given
# up: counted as dwnews/failures/given_up, listed by `python3 -m dwnews.state failures`).
DWNEWS_RETRY_FAILED = True
DWNEWS_MAX_FAILURES = 5

# The Kiswahili home page, where the politics crawl starts (a path on DWNEWS_BASE_URL).
DWNEWS_HOME_PATH = "/sw/idhaa-ya-kiswahili/s-11588"

# The language edition the politics spider keeps links of ("sw" = Kiswahili).
DWNEWS_LANGUAGE = "sw"

# Where the politics spider finds article links (-a source= overrides): "sections" (home page and
# the sections it links), "news-sitemap" (fresh articles), "sitemap" (every article: backfills),
# "feed" (the RSS feeds below).
DWNEWS_SOURCES = ["sections", "news-sitemap", "feed"]

# The Kiswahili RSS feed(s). DW serves feeds from rss.dw.com; the Kiswahili feed's name is not
# verified ("rss-kis-all" by analogy with other editions). A missing feed is one warning.
DWNEWS_FEED_URLS = ["https://rss.dw.com/rdf/rss-kis-all"]

# Revisions (opt-in): re-export an already exported article when its sitemap lastmod moves past
# the modification time recorded for it. The new record has the same short_id and a later
# `modified`; consumers keep, per short_id, the record with the latest `modified`.
DWNEWS_REVISIONS = False

# Politics: DW's category id in the page's embedded data, and the category/kicker labels that
# mean politics where a page embeds no data (compared case-insensitively).
DWNEWS_POLITICS_CATEGORY_ID = "19990022"
DWNEWS_POLITICS_LABELS = ["Siasa"]

# Write the final crawl stats as JSON to this file (empty: off). For schedulers and tests.
DWNEWS_STATS_FILE = ""

# ---- health: a crawl that went wrong exits non-zero (dwnews.health) ---------------------------
# The end-of-crawl summary (dwnews.summary) and a progress line every this many seconds (0: none).
DWNEWS_SUMMARY = True
DWNEWS_PROGRESS_INTERVAL = 60.0
DWNEWS_HEALTH_CHECKS = True
DWNEWS_HEALTH_EXIT_CODE = 3
# Unhealthy when more than this share of the pages requested failed for good.
DWNEWS_HEALTH_MAX_FAILED_SHARE = 0.25
# Unhealthy when more than this share of the articles read lack a core field (title, body,
# published date, content id); judged once at least DWNEWS_HEALTH_MIN_ARTICLES were read.
DWNEWS_HEALTH_MAX_MISSING_SHARE = 0.2
# Also the least number of articles read before "the politics filter dropped them all" counts.
DWNEWS_HEALTH_MIN_ARTICLES = 5

EXTENSIONS = {
    # Owns the article ledger (before the feed exporter, which asks it): storage faults exit 4.
    "dwnews.incremental.LedgerOwner": -100,
    # Checks that Splash answers when the spider opens (only with SPLASH_URL).
    "dwnews.rendering.SplashCheck": 100,
    # Stops a crawl whose site cannot be reached at all, and says why (no network, DNS, TLS).
    "dwnews.reachability.SiteReachability": 300,
    "dwnews.health.HealthCheck": 400,
    # A few lines a person reads after the stats dump, and progress once a minute.
    "dwnews.summary.CrawlSummary": 450,
    "dwnews.extensions.StatsFile": 500,
    # Scrapy's feed exporter, storing each FEED_EXPORT_BATCH_ITEM_COUNT batch as soon as it fills.
    "scrapy.extensions.feedexport.FeedExporter": None,
    "dwnews.feeds.PromptBatchFeedExporter": 0,
}

# ---- distributed crawling (scrapy-redis) -------------------------------------------------------
# Off unless set, e.g. redis://127.0.0.1:6379/0: then every `scrapy crawl politics` started with it
# is a worker of one shared crawl (queue, dupefilter and article store in Redis; dwnews.distributed).
DWNEWS_REDIS_URL = ""
# Name of the shared crawl (Redis keys dwnews:<name>:...); empty: the spider's name.
DWNEWS_REDIS_CRAWL = ""
# A worker ends after this many seconds with nothing queued and no other worker at work.
DWNEWS_REDIS_IDLE_TIMEOUT = 5.0
# A worker whose heartbeat (every second) is older than this is dead; its work is re-queued.
DWNEWS_REDIS_WORKER_TIMEOUT = 15.0

# ---- JavaScript rendering (scrapy-splash) ----------------------------------------------------
# Off unless SPLASH_URL (scrapy-splash's own setting) is set, e.g. -s SPLASH_URL=http://127.0.0.1:8050.
# Page types rendered through Splash: "listing" (home and section pages) and/or "article".
DWNEWS_SPLASH_PAGES = ["listing"]
# Seconds Splash waits after the page loaded, before returning the DOM (render.html "wait").
DWNEWS_SPLASH_WAIT = 0.5
# More render.html arguments, e.g. {"timeout": 60, "images": 0, "resource_timeout": 10}.
DWNEWS_SPLASH_ARGS: dict[str, object] = {}
# When Splash does not answer at start, or fails on a page: False (default) stops at start / counts
# the page as failed; True crawls (or refetches that page) without rendering and says so in the log.
DWNEWS_SPLASH_FALLBACK = False

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
# Bounds on what one page may cost: DW article pages are about 200 KB.
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024
# A sitemap may hold 50,000 URLs in up to 50 MB (the sitemap protocol's limits): sitemap requests
# carry their own bound (DWNEWS_SITEMAP_MAXSIZE), and Scrapy's scraper keeps taking responses while
# one that large is read (its default 5 MB would stop all downloads until a big sitemap is done).
DWNEWS_SITEMAP_MAXSIZE = 50 * 1024 * 1024
SCRAPER_SLOT_MAX_ACTIVE_SIZE = 64 * 1024 * 1024
# One site: Scrapy's plain priority queue (its default spreads requests over many domains' download
# slots, at the cost of a parsed URL kept per queued request: 50,000 from one sitemap).
SCHEDULER_PRIORITY_QUEUE = "scrapy.pqueues.ScrapyPriorityQueue"
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
REDIRECT_MAX_TIMES = 5
# Retries (500, 502, 503, 504, 522, 524, 408, 429 and network errors) wait DWNEWS_RETRY_BACKOFF x
# 2^(attempt-1) seconds, or the server's Retry-After, at most DWNEWS_RETRY_MAX_DELAY.
RETRY_TIMES = 3
DWNEWS_RETRY_BACKOFF = 1.0
DWNEWS_RETRY_MAX_DELAY = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "dwnews.middlewares.BackoffRetryMiddleware": 550,
    # every request (redirects too) on the configured site's scheme, host and port, before
    # robots.txt (100) is fetched for it; replaces Scrapy's host-name-only check
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "dwnews.middlewares.SiteOriginMiddleware": 40,
    # next to the downloader: If-None-Match / If-Modified-Since out, a 304 answered from the store
    "dwnews.conditional.ConditionalRequestMiddleware": 880,
}
# Claims article requests in the ledger before download (closest to the spider: it sees what the
# spider yields first), and reads the spider's verdict on each article page.
SPIDER_MIDDLEWARES = {"dwnews.incremental.IncrementalMiddleware": 950}
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False

# HTTP cache for development (`-s HTTPCACHE_ENABLED=True`): repeat a crawl without refetching.
HTTPCACHE_ENABLED = False
HTTPCACHE_DIR = "httpcache"
HTTPCACHE_EXPIRATION_SECS = 0

# ---- pipeline and export --------------------------------------------------------------------

ITEM_PIPELINES = {
    "dwnews.pipelines.CleanTextPipeline": 50,
    "dwnews.pipelines.RequiredFieldsPipeline": 100,
    "dwnews.pipelines.RunDedupPipeline": 200,
    # last: the record, as exported, is staged in the ledger (kept there once its feed is stored)
    "dwnews.incremental.StageRecordPipeline": 900,
}

# Without -O/-o (and no FEEDS) a crawl writes one JSON Lines file per run, named with the spider
# and the run's start time to the microsecond (Scrapy's %(name)s and %(batch_time)s: two runs
# started in the same second never share a file). Empty: no default feed. Not set as FEEDS
# here because Scrapy merges -O/-o into FEEDS instead of replacing it.
DWNEWS_DEFAULT_FEED = "feeds/%(name)s-%(batch_time)s.jsonl"
FEED_EXPORT_ENCODING = "utf-8"
# The record's fields in their order (an item's working fields are never exported).
FEED_EXPORT_FIELDS = list(FIELD_NAMES)
# CSV for spreadsheets: fixed columns, lists joined with " | ", formula cells neutralised.
FEED_EXPORTERS = {"csv": "dwnews.exporters.SpreadsheetCsvItemExporter"}
# Local feeds are written as <feed>.part and renamed when complete (dwnews.feeds).
FEED_STORAGES = {
    "": "dwnews.feeds.AtomicFileFeedStorage",
    "file": "dwnews.feeds.AtomicFileFeedStorage",
    "stdout": "dwnews.feeds.StdoutFeedStorage",
}
LOG_LEVEL = "INFO"
