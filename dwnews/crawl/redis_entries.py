"""The Redis request queue's entries: one schema, JSON data, never pickle, never obeyed blindly.

scrapy-redis pickles queued requests by default, so anyone who can write to the Redis that the
workers share could run code on every worker (a pickled ``__reduce__``); and even a JSON request
carries meta a worker obeys (``proxy`` sends the request to a server of the sender's choosing,
``dont_obey_robotstxt`` fetches what robots.txt forbids, ``download_maxsize`` lifts a bound). This
module is the ``SCHEDULER_SERIALIZER`` (scrapy-redis calls ``dumps`` and ``loads``):

- :func:`dumps` writes the canonical form of one of our requests: a GET of a page, its callback and
  errback by name, their arguments, and the project's own meta keys (:class:`~dwnews.core.keys.Meta`)
  plus the few progress counters Scrapy's retry and redirect middlewares keep. Headers, cookies and
  every other meta key are left out: the crawl's middlewares set them again when the request is
  taken from the queue (a page rendered through Splash is queued as the page itself and rendered
  again). A page type's own settings (a sitemap's size bound, reading a source whatever its status)
  are not meta a queue entry carries: :class:`~dwnews.crawl.origin.PagePolicyMiddleware` applies them.
- :func:`loads` reads an entry back only if it is exactly that: every key known, every value of its
  type, a known callback with its known arguments. Anything else raises :class:`BadEntryError` naming
  why (``dwnews/redis/bad_entry/<why>``); the scheduler counts it, logs it and goes on: one bad entry
  costs only itself.
"""

from __future__ import annotations

import json
from typing import Any

from dwnews.core.ids import content_id_to_short_id, valid_content_id
from dwnews.core.keys import Meta, PageType, Source
from dwnews.core.urls import usable_url

#: the request class an entry may name (``request_from_dict`` loads its ``_class``)
REQUEST_CLASS = "scrapy.http.request.Request"
#: our spiders' callbacks and the keyword arguments each takes (name -> check of the value)
_SOURCES = frozenset(Source)
CALLBACKS: dict[str, dict[str, Any]] = {
    "parse_listing": {"follow_sections": lambda v: isinstance(v, bool)},
    "parse_robots": {},
    "parse_sitemap": {"source": lambda v: v in _SOURCES, "depth": lambda v: _count(v, 10)},
    "parse_feed": {},
    "parse_article": {},
}
ERRBACKS = frozenset({"on_failure"})
#: meta keys Scrapy's own middlewares keep on a request that is queued again (a retry, a redirect)
_PROGRESS = {
    "depth": lambda v: _count(v, 100),
    "retry_times": lambda v: _count(v, 100),
    "redirect_times": lambda v: _count(v, 100),
    "redirect_ttl": lambda v: _count(v, 100),
    "redirect_urls": lambda v: isinstance(v, list) and len(v) <= 100 and all(_url(u) for u in v),
    "redirect_reasons": lambda v: isinstance(v, list) and len(v) <= 100 and all(isinstance(r, int | str) for r in v),
}
_OURS = {
    Meta.PAGE: lambda v: v in frozenset(PageType),
    Meta.URL: lambda v: _url(v),
    Meta.SOURCE: lambda v: v in _SOURCES,
    Meta.CONTENT_ID: lambda v: isinstance(v, int) and not isinstance(v, bool) and valid_content_id(v),
    Meta.SHORT_ID: lambda v: isinstance(v, str),
    Meta.LASTMOD: lambda v: v is None or (isinstance(v, str) and len(v) <= 40),
    Meta.REVISION: lambda v: isinstance(v, bool),
    Meta.RENDERED: lambda v: isinstance(v, bool),
    Meta.ENTRY: lambda v: isinstance(v, bool),
}
META_SCHEMA: dict[str, Any] = {**_OURS, **_PROGRESS}
_TOP = frozenset(
    {"url", "callback", "errback", "method", "meta", "cb_kwargs", "priority", "dont_filter", "encoding", "_class"}
)
MAX_ENTRY = 1 << 16  # a request of ours is well under a kilobyte; a larger entry is not one


class BadEntryError(ValueError):
    """A queue entry that is no request of ours; ``why`` is the short reason counted in stats."""

    def __init__(self, why: str, detail: str) -> None:
        super().__init__(f"{why}: {detail}")
        self.why = why


def _count(value: Any, limit: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= limit


def _url(value: Any) -> bool:
    return isinstance(value, str) and len(value) <= 2048 and usable_url(value)


def dumps(obj: dict[str, Any]) -> bytes:
    """One of our requests (``Request.to_dict``) in its canonical form, as JSON bytes."""
    meta = dict(obj.get("meta") or {})
    url, dont_filter = obj["url"], bool(obj.get("dont_filter"))
    if "splash" in meta:
        # on its way to Splash: the page itself is queued and rendered again when taken; it passed the
        # dupefilter already, and the request to Splash made of it must not be taken for a second one
        url, dont_filter = meta.get(Meta.URL) or meta["splash"].get("args", {}).get("url") or url, True
    entry = {
        "url": url,
        "callback": obj.get("callback"),
        "errback": obj.get("errback"),
        "method": "GET",
        "meta": {key: value for key, value in meta.items() if key in META_SCHEMA},
        "cb_kwargs": obj.get("cb_kwargs") or {},
        "priority": obj.get("priority", 0),
        "dont_filter": dont_filter,
        "encoding": "utf-8",
    }
    return json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    """A request dict read back from Redis, if it is exactly one of ours; else :class:`BadEntryError`."""
    if len(data) > MAX_ENTRY:
        raise BadEntryError("too_large", f"a queue entry of {len(data)} bytes is not a request of ours")
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        entry = json.loads(text)
    except UnicodeDecodeError:
        raise BadEntryError(
            "not_json", "not JSON: not even UTF-8 (a pickle, from an older version or not ours)"
        ) from None
    except (ValueError, RecursionError):
        raise BadEntryError("not_json", f"not JSON: {text[:60]!r}") from None
    if not isinstance(entry, dict):
        raise BadEntryError("not_json", "a queue entry must be a JSON object")
    unknown = sorted(set(entry) - _TOP)
    if unknown:
        raise BadEntryError("field", f"unknown field {str(unknown[0])[:40]!r}")
    if entry.get("_class", REQUEST_CLASS) != REQUEST_CLASS:
        raise BadEntryError("class", f"request class {str(entry.get('_class'))[:80]!r} is not one of ours")
    if not _url(entry.get("url")):
        raise BadEntryError("url", f"no http(s) url: {str(entry.get('url'))[:80]!r}")
    if entry.get("method", "GET") != "GET":
        raise BadEntryError("method", f"method {str(entry.get('method'))[:20]!r}: our requests are GETs")
    callback, errback = entry.get("callback"), entry.get("errback")
    if callback not in CALLBACKS:
        raise BadEntryError("callback", f"callback {str(callback)[:80]!r} is not one of our spiders' methods")
    if errback is not None and errback not in ERRBACKS:
        raise BadEntryError("callback", f"errback {str(errback)[:80]!r} is not one of our spiders' methods")
    _check(entry.get("cb_kwargs") or {}, CALLBACKS[callback], "kwargs", f"{callback} argument")
    meta = entry.get("meta") or {}
    _check(meta, META_SCHEMA, "meta", "meta key")
    content_id = meta.get(Meta.CONTENT_ID)
    if Meta.SHORT_ID in meta and (content_id is None or meta[Meta.SHORT_ID] != content_id_to_short_id(content_id)):
        raise BadEntryError("meta", "its short id is not its content id's")
    if meta.get(Meta.PAGE) == PageType.ARTICLE and content_id is None:
        raise BadEntryError("meta", "an article request without its content id")
    priority = entry.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool) or not -1000 <= priority <= 1000:
        raise BadEntryError("field", f"priority {str(priority)[:20]!r}")
    if not isinstance(entry.get("dont_filter", False), bool) or entry.get("encoding", "utf-8") != "utf-8":
        raise BadEntryError("field", "dont_filter or encoding")
    return entry


def _check(given: Any, schema: dict[str, Any], why: str, what: str) -> None:
    if not isinstance(given, dict):
        raise BadEntryError(why, f"{what}s are not an object")
    for key, value in given.items():
        check = schema.get(key)
        if check is None:
            raise BadEntryError(why, f"{what} {str(key)[:40]!r} is not one of ours")
        if not check(value):
            raise BadEntryError(why, f"{what} {key!r} has a value that is not ours: {str(value)[:60]!r}")
