"""Every ``dwnews/...`` stat, named once: the components that write one and those that read it use
the same constant, and the stats reference in the docs is generated from :data:`STATS`.

A stat whose key has ``{placeholders}`` is a family: ``SOURCE_FOUND(source="feed")`` is the key
``dwnews/source/feed/found``.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Stat:
    """A stat key (or a family of keys), what it counts, and the docs section it belongs to."""

    key: str
    doc: str
    group: str

    def __call__(self, **parts: object) -> str:
        return self.key.format(**parts)

    @property
    def is_family(self) -> bool:
        return "{" in self.key

    @property
    def prefix(self) -> str:
        """The key up to its first placeholder (a family's keys all start with it)."""
        return self.key.split("{", 1)[0]

    def matches(self, key: str) -> bool:
        """Is ``key`` this stat, or one of this family's keys?"""
        if not self.is_family:
            return key == self.key
        pattern = "".join(
            re.escape(text) + ("[^/]+" if field is not None and field != "event" else ".+" if field else "")
            for text, field, _, _ in string.Formatter().parse(self.key)
        )
        return re.fullmatch(pattern, key) is not None


STATS: list[Stat] = []


def _stat(key: str, doc: str, group: str) -> Stat:
    stat = Stat(key, doc, group)
    STATS.append(stat)
    return stat


# ----- discovery ---------------------------------------------------------------------------------------
D = "discovery"
LISTING_PAGES = _stat("dwnews/listing/pages", "listing pages (home, sections) read", D)
LISTING_ARTICLE_LINKS = _stat("dwnews/listing/article_links", "article links on the listing pages", D)
LISTING_SECTION_LINKS = _stat("dwnews/listing/section_links", "section links on the home page", D)
LISTING_SKIPPED = _stat("dwnews/listing/skipped/{kind}", "links that are not articles, by kind (video, audio...)", D)
LISTING_EMPTY = _stat("dwnews/listing/empty", "listing pages with no article link", D)
LISTING_EMPTY_WITH_SCRIPTS = _stat(
    "dwnews/listing/empty_with_scripts", "... of which have inline scripts (they may build links with JavaScript)", D
)
LISTING_NOT_HTML = _stat("dwnews/listing/not_html", "listing answers that are not HTML", D)
LISTING_ALREADY_REQUESTED = _stat(
    "dwnews/listing/article_already_requested", "listing links to articles requested already", D
)
SOURCE_READ = _stat("dwnews/source/{source}/read", "pages of a discovery source read", D)
SOURCE_FOUND = _stat("dwnews/source/{source}/found", "article links a discovery source gave", D)
SOURCE_NEW = _stat("dwnews/source/{source}/new", "... of which new to the ledger (downloaded)", D)
SOURCE_KNOWN = _stat("dwnews/source/{source}/known", "... of which the ledger knew (not downloaded)", D)
SOURCE_DUPLICATE = _stat("dwnews/source/{source}/duplicate", "... of which another link had led to already", D)
SOURCE_KEPT = _stat("dwnews/source/{source}/kept", "politics articles found through a source", D)
SOURCE_LOST = _stat(
    "dwnews/source/{source}/lost",
    "a source that answered before (the home page: always) and failed for good in this run: the crawl is unhealthy",
    D,
)
SOURCE_MISSING = _stat("dwnews/source/{source}/missing", "a discovery source that could not be read", D)
SOURCE_DROPPED = _stat(
    "dwnews/source/{source}/dropped/{reason}",
    "links of a source not followed: bad_id, bad_url, no_url, bad_entry, offsite, over_limit (past 50,000 in "
    "one document), not_an_article, before_since, after_until, not_politics",
    D,
)
OFFSITE = _stat(
    "dwnews/offsite/{source}",
    "requests and links refused for leaving the configured site's scheme, host and port (redirect, robots...)",
    D,
)

# ----- articles ----------------------------------------------------------------------------------------
A = "articles"
ARTICLE_PARSED = _stat("dwnews/article/parsed", "article pages read", A)
ARTICLE_LAYOUT = _stat("dwnews/article/layout/{layout}", "article pages by layout (current, legacy, unknown)", A)
ARTICLE_EVENT = _stat(
    "dwnews/article/{event}",
    "what reading pages found: source/<field>/<source> (which source gave a field), missing/<field>, "
    "state/<apollo|app>, jsonld_invalid, state_invalid, short_id_mismatch, bad_type/<field>, "
    "bad_value/content_id, bad_url/<field>, canonical_elsewhere, html_too_deep",
    A,
)
ARTICLE_MISSING = _stat("dwnews/article/missing/{field}", "article pages where no source gave a field", A)
ARTICLE_CHARSET = _stat(
    "dwnews/article/charset/{repair}", "charset repairs (utf8_with_invalid_bytes, cp1252_labelled_utf8...)", A
)
ARTICLE_SKIPPED = _stat(
    "dwnews/article/{reason}", "article answers not read: not_html, other_article (a redirect to another article)", A
)
POLITICS_KEPT = _stat("dwnews/politics/kept", "politics articles kept", A)
POLITICS_DROPPED = _stat(
    "dwnews/politics/dropped/{reason}", "articles read and not kept: not_politics, before_since, after_until", A
)
POLITICS_UNKNOWN_DATE = _stat(
    "dwnews/politics/since_unknown_date", "kept articles without a date though since/until was given", A
)
CLEAN_REMOVED = _stat("dwnews/clean/removed/{rule}", "paragraphs removed by each cleaning rule", A)
DROPPED = _stat(
    "dwnews/dropped/{reason}",
    "records not exported: missing_<field>, empty_body, duplicate, bad_record, bad_content_id, missing_short_id, "
    "already_<exported|claimed_elsewhere> (its own short id is known)",
    A,
)
VALIDATED = _stat(
    "spidermon/validation/items", "records checked against the record schema (spidermon's item-validation stat)", A
)
VALIDATION_ERRORS = _stat(
    "spidermon/validation/fields/errors",
    "problems the record schema found (a record with one is dropped: dwnews/dropped/bad_record); more than "
    "SPIDERMON_MAX_ITEM_VALIDATION_ERRORS (0) make the run unhealthy",
    A,
)

# ----- incremental crawls ------------------------------------------------------------------------------
I = "incremental"  # noqa: E741 -- a group name, as D and A
INCREMENTAL_SKIPPED = _stat(
    "dwnews/incremental/skipped/{answer}", "links not requested: exported, skipped, claimed_elsewhere", I
)
INCREMENTAL_REVISED = _stat("dwnews/incremental/revised", "exported articles requested again as revisions", I)
STATE_RECOVERED = _stat(
    "dwnews/state/recovered/{what}",
    "clean-up after a killed run: dead_runs, claims_released, feeds_committed, parts_removed, failures_imported, "
    "feeds_not_ours (a dead run's feed path holds another file: left alone, its articles fetched again)",
    I,
)
FAILURES_KNOWN_AGAIN = _stat(
    "dwnews/failures/known_again", "pages that failed for good the same way in an earlier run (not held against it)", I
)
FAILURES_KNOWN_SINCE = _stat("dwnews/failures/known_since", "when the oldest of them first failed so", I)
FAILURES_GIVEN_UP = _stat("dwnews/failures/given_up", "articles that failed in DWNEWS_MAX_FAILURES runs", I)
CONDITIONAL = _stat(
    "dwnews/conditional/{what}",
    "conditional requests: sent, not_modified/<page>, modified, refetched, bytes_saved, store_error, pruned "
    "(pages no run fetched in DWNEWS_PAGE_STORE_KEEP_RUNS runs, removed from the page store)",
    I,
)

# ----- failures and health ------------------------------------------------------------------------------
H = "health"
FAILED = _stat("dwnews/failed/{page}/{reason}", "requests that failed for good, by page type and reason", H)
FAILED_SOURCE = _stat("dwnews/failed/source/{reason}", "discovery sources that failed for good", H)
NOT_FETCHED = _stat("dwnews/not_fetched/{page}", "requests robots.txt did not allow", H)
RETRY_WAITED = _stat("dwnews/retry/waited_seconds", "seconds spent backing off before retries", H)
ERRORS = _stat("dwnews/errors/{where}/{error}", "unhandled exceptions (callback, pipeline, start)", H)
UNREACHABLE = _stat("dwnews/health/unreachable", "why the site could not be reached at all", H)
LISTING_NOT_FOUND = _stat("dwnews/health/listing_not_found", "the first listing page that does not exist", H)
HEALTH_OK = _stat("dwnews/health/ok", "1: the crawl was judged healthy", H)
HEALTH_UNHEALTHY = _stat("dwnews/health/unhealthy", "1: the crawl was judged unhealthy (or stopped)", H)
HEALTH_PROBLEMS = _stat("dwnews/health/problems", "the failed health checks, in one line", H)
OUTCOME = _stat("dwnews/outcome", "why the crawl stopped early: refused, storage_fault, site_unreachable", H)
OUTCOME_MESSAGE = _stat("dwnews/outcome/message", "the one dwnews: line that said why", H)

# ----- rendering and distributed mode ------------------------------------------------------------------
R = "rendering and distributed mode"
SPLASH_REQUESTS = _stat("dwnews/splash/requests/{page}", "pages requested through Splash", R)
SPLASH_FALLBACK = _stat("dwnews/splash/fallback/{page}", "pages Splash failed on, fetched again without it", R)
SPLASH_UNAVAILABLE = _stat(
    "dwnews/splash/unavailable_fallback", "Splash did not answer at start: crawled without rendering", R
)
REDIS_WORKER = _stat("dwnews/redis/worker", "1: this crawl was a worker of a shared Redis crawl", R)
REDIS_BAD_ENTRY = _stat("dwnews/redis/bad_entry", "queue entries that were no request of ours (dropped)", R)
REDIS_BAD_ENTRY_WHY = _stat(
    "dwnews/redis/bad_entry/{why}",
    "... by why: not_json, too_large, field, class, url, method, callback, kwargs, meta, request",
    R,
)
REDIS_RECOVERED = _stat("dwnews/redis/recovered_requests", "requests of dead workers put back in the queue", R)
REDIS_NOT_TAKEN = _stat(
    "dwnews/redis/not_taken/{why}", "queued articles not taken: known, elsewhere (a live worker has it)", R
)


# ----- bounds ------------------------------------------------------------------------------------------
BOUND = _stat(
    "dwnews/bounds/{what}",
    "a bound was reached (a setting says how far): sections (section links not followed), "
    "body_truncated (records whose body was cut), "
    "langid_text (sample openings scrapy site-check cut for the language identifier)",
    "bounds",
)


def find(key: str) -> Stat | None:
    """The stat (or family) a key belongs to: exact keys first, then the most specific family."""
    for stat in STATS:
        if stat.key == key:
            return stat
    families = [stat for stat in STATS if stat.is_family and stat.matches(key)]
    return max(families, key=lambda stat: len(stat.prefix), default=None)


def total(stats: Mapping[str, Any], prefix: str, suffix: str = "") -> int:
    """The sum of the integer stats whose key starts with ``prefix`` and ends with ``suffix``."""
    return sum(int(v) for k, v in stats.items() if k.startswith(prefix) and k.endswith(suffix) and isinstance(v, int))


def count(stats: Mapping[str, Any], key: str) -> int:
    value = stats.get(key, 0)
    return int(value) if isinstance(value, int) else 0


def groups() -> Iterator[tuple[str, list[Stat]]]:
    """The stats by docs section, in the order they are defined."""
    seen: dict[str, list[Stat]] = {}
    for stat in STATS:
        seen.setdefault(stat.group, []).append(stat)
    yield from seen.items()
