"""The keys every layer shares: request meta, page types, sources, verdicts and skips, signals.

Written once here, so that grep finds every writer and reader of each. A spider says what it
decided about an article page by yielding a :class:`Skip` (consumed by the incremental middleware),
never by writing the ledger or ``response.meta``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Meta:
    """``request.meta`` keys of dwnews (a queue entry from Redis may carry these and no others)."""

    PAGE: Final = "dwnews_page"  # a PageType
    URL: Final = "dwnews_url"  # the page's own URL (a rendered request's URL is Splash's)
    SOURCE: Final = "dwnews_source"  # the discovery source (a Source) that led to the request
    CONTENT_ID: Final = "dwnews_content_id"  # an article's content id, known from its link
    SHORT_ID: Final = "dwnews_short_id"  # ... and its short id
    LASTMOD: Final = "dwnews_lastmod"  # the date the link gave (sitemap lastmod), for revisions
    REVISION: Final = "dwnews_revision"  # an exported article fetched again: its link's date moved
    RENDERED: Final = "dwnews_rendered"  # set by the rendering middleware: this page went through Splash
    CONDITIONAL: Final = "dwnews_conditional"  # validators were sent (conditional requests)
    CHECK: Final = "dwnews_check"  # what a site-check request checks
    ENTRY: Final = "dwnews_entry"  # the crawl's first listing page (home page, or the section given)

    ALL: Final = frozenset(
        {PAGE, URL, SOURCE, CONTENT_ID, SHORT_ID, LASTMOD, REVISION, RENDERED, CONDITIONAL, CHECK, ENTRY}
    )


class PageType(StrEnum):
    """What a request fetches."""

    LISTING = "listing"  # home and section pages
    ARTICLE = "article"
    SOURCE = "source"  # a sitemap or feed
    ROBOTS = "robots"  # robots.txt (read for its Sitemap lines)


class Source(StrEnum):
    """Where the politics spider finds article links."""

    SECTIONS = "sections"  # the home page and the sections it links
    NEWS_SITEMAP = "news-sitemap"
    SITEMAP = "sitemap"
    FEED = "feed"
    SITEMAP_INDEX = "sitemap-index"  # read to find the two sitemaps above (not chosen by users)
    FAILURES = "failures"  # articles that failed in earlier runs (not chosen by users)


#: the sources a user can choose (``-a source=``, DWNEWS_SOURCES), in their usual order
CHOSEN_SOURCES: tuple[Source, ...] = (Source.SECTIONS, Source.NEWS_SITEMAP, Source.SITEMAP, Source.FEED)


class Verdict(StrEnum):
    """What a downloaded article page that is not exported means for the ledger."""

    NOT_POLITICS = "not_politics"  # remembered, with the rule that judged it: later runs skip it
    OUT_OF_RANGE = "out_of_range"  # released: a run with other since/until bounds may want it
    FAILED = "failed"  # released, and the failure recorded: a later run tries again


@dataclass(frozen=True)
class Skip:
    """A spider's verdict on an article page it does not export (yielded like an item).

    ``reason`` is the short name counted in stats and logged (``not_politics``, ``before_since``,
    ``not_html``, ``other_article``); ``rule`` the politics rule behind a NOT_POLITICS verdict.
    """

    short_id: str
    content_id: int
    verdict: Verdict
    reason: str
    source: str = Source.SECTIONS
    url: str = ""
    rule: str = ""


# ----- signals (crawler.signals.send_catch_log(signal, **arguments)) -------------------------------------

#: a spider's errback: ``request`` failed for good (after retries), ``failure`` says how
request_failed: Final = object()
#: the failure tracker classified a failed request: ``request``, ``reason`` (``http_404``, ``dns``...)
request_failed_for_good: Final = object()
#: a discovery source answered but cannot be used: ``source``, ``url``, ``why`` (counted, warned once)
source_missing: Final = object()
#: a spider read an article page: ``page`` (the page object), ``url`` (where it was asked for)
article_read: Final = object()
#: a page request's output is all in the scheduler: ``request`` (the Redis scheduler's bookkeeping)
page_done: Final = object()
#: a feed file is complete and its articles recorded: ``path``, ``records`` (how many)
feed_stored: Final = object()
#: the run is over and recorded, the ledger about to close: ``ledger`` (the Redis scheduler's clean-up)
ledger_closing: Final = object()
#: a component asks the crawl to stop: ``outcome`` (an Outcome), ``message`` (one line, said once)
stop_requested: Final = object()
