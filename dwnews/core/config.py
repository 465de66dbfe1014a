"""Every ``DWNEWS_*`` setting, once: its default, its type and bounds, and what it means.

``dwnews/settings.py`` takes the defaults from :data:`SETTINGS`, the docs' settings reference is
generated from it, and :meth:`Config.read` is the one place a value is parsed and checked: before a
crawl starts (the crawl command; exit 2 with one line naming the setting), and by every component
that reads one. A list setting is a JSON list (``["Siasa"]``) or comma-separated values
(``Siasa,Politik``); a bool is ``True``/``False``/``1``/``0``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from dwnews.core import site, text
from dwnews.core.keys import CHOSEN_SOURCES
from dwnews.core.outcome import ExitStatus, SettingError
from dwnews.core.site import PoliticsRule, Site
from dwnews.core.urls import redact


class SettingsLike(Protocol):
    """What :meth:`Config.read` needs of Scrapy's ``Settings`` (or a dict)."""

    def get(self, name: str, default: Any = None) -> Any: ...


@dataclass(frozen=True)
class Setting:
    """One ``DWNEWS_*`` setting: its default, its kind, what it means, and its docs section."""

    name: str
    default: Any
    kind: str  # bool, int, float, text, path, list, dict, url
    doc: str
    group: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    allow_empty: bool = True


SETTINGS: list[Setting] = []


def _setting(name: str, default: Any, kind: str, doc: str, group: str, **bounds: Any) -> Setting:
    entry = Setting(name, default, kind, doc, group, **bounds)
    SETTINGS.append(entry)
    return entry


S = "the site"
_setting(
    "DWNEWS_BASE_URL",
    site.DW_BASE_URL,
    "url",
    "Where the site lives. Every URL a crawl requests derives from it and must be on its scheme, host and "
    "port: point it at a mirror (http://127.0.0.1:8000) to crawl that instead.",
    S,
)
_setting("DWNEWS_HOME_PATH", site.HOME_PATH, "text", "The Kiswahili home page, where `politics` starts.", S)
_setting("DWNEWS_LANGUAGE", site.LANGUAGE, "text", "The language edition whose links `politics` follows.", S)
_setting(
    "DWNEWS_SOURCES",
    [str(s) for s in (CHOSEN_SOURCES[0], CHOSEN_SOURCES[1], CHOSEN_SOURCES[3])],
    "list",
    "Where `politics` finds article links when `-a source=` is not given: sections, news-sitemap, sitemap, feed.",
    S,
    choices=tuple(CHOSEN_SOURCES),
    allow_empty=False,
)
_setting(
    "DWNEWS_FEED_URLS",
    list(site.FEED_URLS),
    "list",
    "The Kiswahili RSS feed(s); on a mirror, dw.com hosts are fetched from DWNEWS_BASE_URL.",
    S,
)
_setting("DWNEWS_POLITICS_CATEGORY_ID", site.POLITICS_CATEGORY_ID, "text", "DW's politics category id.", S)
_setting(
    "DWNEWS_POLITICS_LABELS",
    list(site.POLITICS_LABELS),
    "list",
    "Category/kicker labels that mean politics on pages without embedded data (case-insensitive).",
    S,
)

C = "the corpus and incremental crawls"
_setting(
    "DWNEWS_STATE_DIR",
    ".scrapy/dwnews",
    "path",
    "Where the article ledger (articles.sqlite3) and the page store (pages.sqlite3) live.",
    C,
    allow_empty=False,
)
_setting(
    "DWNEWS_INCREMENTAL",
    True,
    "bool",
    "Skip articles known from earlier runs and record what this run exports, with the records. "
    "False: the ledger is neither read nor written.",
    C,
)
_setting(
    "DWNEWS_CONDITIONAL_REQUESTS",
    True,
    "bool",
    "Ask for listing pages, sitemaps, the feed and robots.txt with If-None-Match / If-Modified-Since; a 304 "
    "costs no body. Only with DWNEWS_INCREMENTAL.",
    C,
)
_setting(
    "DWNEWS_RETRY_FAILED",
    True,
    "bool",
    "Record articles that failed for good and request them again in later runs.",
    C,
)
_setting("DWNEWS_MAX_FAILURES", 5, "int", "Runs an article may fail in before it is given up.", C, minimum=1)
_setting(
    "DWNEWS_REVISIONS",
    False,
    "bool",
    "Re-export an exported article when its sitemap lastmod moves past the modification time recorded for it.",
    C,
)
_setting(
    "DWNEWS_DEFAULT_FEED",
    "feeds/%(name)s-%(batch_time)s.jsonl",
    "text",
    "The feed written when no -O/-o is given, with what the run added (empty: none, and a crawl without -O/-o "
    "is refused: it would keep nothing).",
    C,
)
_setting("DWNEWS_STATS_FILE", "", "text", "Write the final crawl stats as JSON to this file (empty: off).", C)
_setting(
    "DWNEWS_SITEMAP_MAXSIZE",
    50 * 1024 * 1024,
    "int",
    "The size bound of a sitemap or feed in bytes (the sitemap protocol allows 50 MB).",
    C,
    minimum=1,
)

H = "health and reporting"
_setting(
    "DWNEWS_SUMMARY",
    True,
    "bool",
    "A summary after Scrapy's stats dump: links per source, articles exported/skipped/failed, feeds, corpus, health.",
    H,
)
_setting(
    "DWNEWS_PROGRESS_INTERVAL",
    60.0,
    "float",
    "Seconds between progress lines during a crawl (0: none).",
    H,
    minimum=0,
)
_setting("DWNEWS_HEALTH_CHECKS", True, "bool", "Judge every crawl; an unhealthy one exits non-zero.", H)
_setting(
    "DWNEWS_HEALTH_EXIT_CODE",
    int(ExitStatus.UNHEALTHY),
    "int",
    "The exit status of an unhealthy crawl: 3, or 5..125 (0, 1, 2 and 4 mean other things).",
    H,
    minimum=3,
    maximum=125,
)
_setting(
    "DWNEWS_HEALTH_MAX_FAILED_SHARE",
    0.25,
    "float",
    "Unhealthy when more than this share of the pages this run newly tried failed for good (a page that failed the "
    "same way in an earlier run is reported, not counted).",
    H,
    minimum=0,
    maximum=1,
)
_setting(
    "DWNEWS_HEALTH_MAX_MISSING_SHARE",
    0.2,
    "float",
    "Unhealthy when more than this share of the articles read lack a core field (title, body, date, id).",
    H,
    minimum=0,
    maximum=1,
)
_setting(
    "DWNEWS_HEALTH_MIN_PAGES",
    5,
    "int",
    "Pages newly tried before the failed share is judged (pages that failed so in earlier runs do not count).",
    H,
    minimum=1,
)
_setting(
    "DWNEWS_HEALTH_MIN_ARTICLES",
    5,
    "int",
    "Articles read before the shares above are judged (0: always).",
    H,
    minimum=0,
)

N = "network"
_setting(
    "DWNEWS_RETRY_BACKOFF",
    1.0,
    "float",
    "Seconds before the first retry of a page, doubling each time (or the server's Retry-After).",
    N,
    minimum=0,
)
_setting("DWNEWS_RETRY_MAX_DELAY", 60.0, "float", "The most seconds ever waited before a retry.", N, minimum=0)

R = "scaling out (Redis)"
_setting(
    "DWNEWS_REDIS_URL",
    "",
    "redis",
    "redis://HOST:PORT/DB: every crawl started with it is a worker of one shared crawl (empty: off).",
    R,
)
_setting(
    "DWNEWS_REDIS_CRAWL", "", "text", "The shared crawl's name (Redis keys dwnews:<name>:...); empty: the spider's.", R
)
_setting(
    "DWNEWS_REDIS_IDLE_TIMEOUT",
    5.0,
    "float",
    "Seconds a worker waits with nothing queued and no other worker at work before it ends.",
    R,
    minimum=0,
)
_setting(
    "DWNEWS_REDIS_WORKER_TIMEOUT",
    15.0,
    "float",
    "Seconds of silence (no heartbeat) after which a worker counts as dead and its work is handed out again.",
    R,
    minimum=1,
)

J = "rendering (Splash)"
_setting(
    "DWNEWS_SPLASH_PAGES",
    ["listing"],
    "list",
    "Page types rendered through Splash when SPLASH_URL is set: listing and/or article.",
    J,
    choices=("listing", "article"),
)
_setting("DWNEWS_SPLASH_WAIT", 0.5, "float", "Seconds Splash waits after the page loaded.", J, minimum=0)
_setting("DWNEWS_SPLASH_ARGS", {}, "dict", 'More render.html arguments, e.g. {"timeout": 60, "images": 0}.', J)
_setting(
    "DWNEWS_SPLASH_FALLBACK",
    False,
    "bool",
    "When Splash does not answer or fails on a page: crawl without rendering (True) or stop / fail the page.",
    J,
)

B = "bounds"
_setting(
    "DWNEWS_MAX_SECTIONS",
    100,
    "int",
    "Section pages the home page may lead a run to (DW Kiswahili links about 20); the rest are counted.",
    B,
    minimum=1,
)
_setting(
    "DWNEWS_MAX_BODY_CHARS",
    500_000,
    "int",
    "Characters of body text one record may hold (DW's longest articles hold about 40,000); a longer body is "
    "cut at a paragraph boundary, counted and logged.",
    B,
    minimum=1000,
)
_setting(
    "DWNEWS_LANGID_MAX_CHARS",
    text.LANGID_MAX_CHARS,
    "int",
    "Characters of a sample article's opening that scrapy site-check gives the language identifier (a few "
    "sentences tell a language). A crawl gives it only short lines that look like image text.",
    B,
    minimum=100,
)
_setting(
    "DWNEWS_PAGE_STORE_KEEP_RUNS",
    10,
    "int",
    "Runs a listing page, sitemap or feed stays in the page store (pages.sqlite3) without being fetched; then "
    "it is pruned (counted as dwnews/conditional/pruned) and next fetched in full.",
    B,
    minimum=1,
)

DEFAULTS: dict[str, Any] = {entry.name: entry.default for entry in SETTINGS}
_BY_NAME = {entry.name: entry for entry in SETTINGS}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _kind_name(entry: Setting) -> str:
    names = {
        "bool": "True or False",
        "int": "a whole number",
        "float": "a number",
        "list": "a JSON list or comma-separated values",
        "dict": "a JSON object",
        "url": "a site root such as https://www.dw.com or http://127.0.0.1:8000",
        "path": "a path",
        "text": "text",
        "redis": "redis://[:PASSWORD@]HOST:PORT/DB, rediss://... (TLS) or unix:///path/to/redis.sock",
    }
    return names[entry.kind]


def parse(entry: Setting, value: Any) -> Any:
    """A setting's value as its kind, checked; raises :class:`SettingError` naming the setting."""

    def bad(why: str = "") -> SettingError:
        expected = why or f"expected {_kind_name(entry)}"
        return SettingError(f"{entry.name}={redact(repr(value))}: {expected} (default {entry.default!r})")

    parsed: Any
    if entry.kind == "bool":
        if isinstance(value, bool):
            parsed = value
        elif isinstance(value, int) and value in (0, 1):
            parsed = bool(value)
        elif isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            parsed = value.strip().lower() in _TRUE
        else:
            raise bad()
    elif entry.kind in ("int", "float"):
        try:
            if isinstance(value, bool):
                raise ValueError
            parsed = int(str(value).strip()) if entry.kind == "int" else float(value)
        except (TypeError, ValueError):
            raise bad() from None
        if isinstance(parsed, float) and not math.isfinite(parsed):
            raise bad()
        if entry.minimum is not None and parsed < entry.minimum:
            raise bad(f"expected at least {entry.minimum:g}")
        if entry.maximum is not None and parsed > entry.maximum:
            raise bad(f"expected at most {entry.maximum:g}")
    elif entry.kind == "list":
        parsed = _list(value)
        if parsed is None:
            raise bad()
        unknown = [item for item in parsed if entry.choices and item not in entry.choices]
        if unknown:
            raise bad(f"unknown value {unknown[0]!r}; accepted: {', '.join(entry.choices)}")
    elif entry.kind == "dict":
        parsed = value
        if isinstance(value, str):
            try:
                parsed = json.loads(value) if value.strip() else {}
            except ValueError:
                raise bad() from None
        if not isinstance(parsed, dict):
            raise bad()
        parsed = dict(parsed)
    elif entry.kind == "url":
        parsed = _site_root(str(value or ""))
        if parsed is None:
            raise bad()
    elif entry.kind == "redis":
        parsed = str(value or "").strip()
        problem = redis_url_problem(parsed) if parsed else None
        if problem:
            raise SettingError(
                f"{entry.name}={redact(repr(value))} is not a Redis URL: {problem}; expected {_kind_name(entry)}"
            )
    else:  # text, path
        if value is None or isinstance(value, (dict, list, tuple, bool)):
            raise bad()
        parsed = str(value).strip()
    if not entry.allow_empty and not parsed:
        raise bad("must not be empty")
    return parsed


def _list(value: Any) -> list[str] | None:
    if isinstance(value, (list, tuple)):
        items: list[Any] = list(value)
    elif isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                loaded = json.loads(text)
            except ValueError:
                return None
            if not isinstance(loaded, list):
                return None
            items = loaded
        else:
            items = text.split(",")
    else:
        return None
    if not all(isinstance(item, str) for item in items):
        return None
    return [item.strip() for item in items if item.strip()]


def redis_url_problem(redis_url: str) -> str | None:
    """Why a ``DWNEWS_REDIS_URL`` is not a Redis URL at all, or None (whether Redis answers is
    another question, asked when the crawl starts)."""
    try:
        parts = urlsplit(redis_url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not 0..65535
    except ValueError as error:
        return str(error)
    if parts.scheme in ("redis", "rediss") and parts.hostname:
        return None
    if parts.scheme == "unix" and parts.path:
        return None
    return "unknown scheme or no host"


def _site_root(value: str) -> str | None:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not 0..65535
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class Config:
    """The ``DWNEWS_*`` settings of one crawl, parsed and checked. See :data:`SETTINGS`."""

    values: dict[str, Any]

    @classmethod
    def read(cls, settings: SettingsLike) -> Config:
        """Every ``DWNEWS_*`` setting of ``settings`` (defaults where unset), parsed and checked.

        Raises :class:`SettingError` (one line naming the setting) for the first bad one.
        """
        values: dict[str, Any] = {}
        for entry in SETTINGS:
            raw = settings.get(entry.name, entry.default)
            values[entry.name] = parse(entry, entry.default if raw is None else raw)
        code = values["DWNEWS_HEALTH_EXIT_CODE"]
        if code == int(ExitStatus.STORAGE):
            raise SettingError(
                f"DWNEWS_HEALTH_EXIT_CODE={code!r}: 4 means a storage fault; use 3 or 5..125 (default 3)"
            )
        return cls(values)

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    @property
    def site(self) -> Site:
        return Site(
            base_url=self["DWNEWS_BASE_URL"],
            language=self["DWNEWS_LANGUAGE"],
            home_path=self["DWNEWS_HOME_PATH"],
            feed_urls=tuple(self["DWNEWS_FEED_URLS"]),
        )

    @property
    def politics(self) -> PoliticsRule:
        return PoliticsRule(str(self["DWNEWS_POLITICS_CATEGORY_ID"]), tuple(self["DWNEWS_POLITICS_LABELS"]))


def setting(name: str) -> Setting:
    """The definition of one setting (KeyError for a name that is not one of ours)."""
    return _BY_NAME[name]
