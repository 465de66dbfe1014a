"""The DW article page object: saved HTML in, article fields out, no Scrapy and no network.

Every field is read from the most stable source first: the JSON-LD ``NewsArticle``, then the
embedded state (``window.__APOLLO_STATE__`` of 2023-24, ``window.__APP_STATE__`` since 2025),
then stable DOM hooks of the current layout (2023-2026) and of the legacy layout (before
mid-2023), and the ``<meta>`` tags: a class of :mod:`dwnews.pages.sources` each, composed by
:data:`COMPOSITION`. Which source gave each field, and which fields are missing, is recorded in
``events`` so that a crawl can count it: a site change shows up as numbers.

Hostile input costs only the source or field it is in, never the page: invalid bytes (see
:mod:`dwnews.core.encoding`), JSON that does not parse or nests deeper than MAX_JSON_DEPTH (skipped
like invalid JSON), HTML nested deeper than libxml2 builds (built again, MAX_HTML_DEPTH deep),
a number or object where text belongs, a URL that is no http(s) URL. Nothing here recurses over
the page's tree or its JSON (see :mod:`dwnews.pages.html`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, cast
from urllib.parse import urlsplit

from lxml.etree import ParserError

from dwnews.core import ids, urls
from dwnews.core.encoding import decode_html
from dwnews.core.site import PoliticsRule
from dwnews.core.text import dedupe, image_text_key, word_count
from dwnews.pages.html import MAX_JSON_DEPTH as MAX_JSON_DEPTH  # the tests read it here
from dwnews.pages.html import Body, first, parse_html, text_of
from dwnews.pages.sources import UNKNOWN_LAYOUT, FoundBody, Image, Source
from dwnews.pages.sources.current import CurrentLayout
from dwnews.pages.sources.jsonld import JsonLd
from dwnews.pages.sources.legacy import LegacyLayout
from dwnews.pages.sources.meta import MetaTags
from dwnews.pages.sources.state import AppState

DEFAULT_POLITICS = PoliticsRule()

# Every source of an article's fields and, for each field it gives, its place in that field's
# order: 1 is asked first, and the first value that is not empty is the field's (``kicker``,
# ``category_ids``, ``topics``, ``images``: every source's values, in that order). One row per
# source, so that a layout DW no longer serves is deleted with its row and nothing else. The current
# layout comes after the legacy one for ``layout`` (an ``article header h1`` is common, a
# ``div.longText`` is not) and last for ``published`` (the visible date: text to parse). The page's
# own sources (URL, ``<html lang>``, canonical and short link, credit lines) come before or after.
# fmt: off
COMPOSITION: tuple[tuple[type[Source], Mapping[str, int]], ...] = (
    (JsonLd, {"title": 1, "teaser": 1, "authors": 1, "published": 1, "modified": 1}),
    (AppState, {"content_id": 1, "page_short_id": 2, "language": 1, "title": 2, "teaser": 2, "body": 1,
                "category": 1, "category_id": 1, "category_ids": 1, "authors": 2, "published": 2, "modified": 2}),
    (CurrentLayout, {"layout": 2, "page_short_id": 1, "title": 3, "teaser": 3, "body": 2, "kicker": 1,
                     "category": 2, "topics": 1, "authors": 3, "published": 5, "images": 1}),
    (LegacyLayout, {"layout": 1, "page_short_id": 3, "title": 4, "teaser": 4, "body": 3, "category": 3,
                    "topics": 2, "authors": 4, "published": 4, "images": 2}),
    (MetaTags, {"canonical_url": 1, "language": 2, "title": 5, "teaser": 5, "published": 3, "modified": 3}),
)
# fmt: on


def _field_order() -> dict[str, tuple[tuple[type[Source], str], ...]]:
    """For each field, the sources that give it in its order, with the names their events give them.

    A rank for a method the source lacks, a field method no rank names, or two sources with one
    rank for a field is a slip in the table: raised at import, not a field silently never read.
    """
    ranked: dict[str, list[tuple[int, type[Source]]]] = {}
    for source, ranks in COMPOSITION:
        for name, rank in ranks.items():
            if not callable(getattr(source, name, None)):
                raise TypeError(f"COMPOSITION ranks {source.__name__}.{name}(), which it does not have")
            ranked.setdefault(name, []).append((rank, source))
    for source, ranks in COMPOSITION:
        unranked = sorted(name for name in ranked if name not in ranks and callable(getattr(source, name, None)))
        if unranked:
            raise TypeError(f"COMPOSITION gives {source.__name__} no rank for {', '.join(unranked)}")
    for name, entries in ranked.items():
        if len({rank for rank, _ in entries}) != len(entries):
            raise TypeError(f"COMPOSITION gives two sources of {name} one rank")
    return {
        name: tuple((source, source.event_names.get(name, source.name)) for _, source in sorted(entries))
        for name, entries in ranked.items()
    }


_FIELD_ORDER = _field_order()
#: the composed sources of each field, first to last, by the names their events give them
FIELD_SOURCES = {name: tuple(event for _, event in order) for name, order in _FIELD_ORDER.items()}


def _text_field(name: str) -> cached_property[str | None]:
    """A text field of the page: the first value its sources give (see ``ArticlePage._pick``)."""

    def read(page: ArticlePage) -> str | None:
        value = page._pick(name, *page._hooks(name))
        return str(value) if value else None

    return cached_property(read)


class ArticlePage:
    """A DW article page. Construct with the page URL and its HTML; read fields as properties.

    ``record()`` gives every field of the article record except ``crawled_at``; ``events``
    lists what the parse had to fall back on or could not find (``source/title/jsonld``,
    ``missing/authors``, ``jsonld_invalid``, ``short_id_mismatch``...) and what the page got
    wrong: ``bad_type/<field>`` (a JSON number, object or bool where text belongs, a non-integer
    id), ``bad_value/content_id`` (an id out of range), ``bad_url/<field>`` (a URL that is no
    absolute http(s) URL), ``canonical_elsewhere`` (a canonical link off DW or to another article),
    ``html_too_deep`` (a page nested deeper than libxml2 builds).

    Every field has the type the record promises: text only from JSON strings, ids only from
    JSON integers in range, URLs only absolute http(s).

    The sources of each field, first to last, as its ``source/<field>/<source>`` events name them
    (``dom``, ``kicker``, ``text``: the current layout; ``legacy``: the legacy layout):

    ===============  ==========================================================
    content_id       url, canonical, state, short_link
    page_short_id    dom, state, legacy (no events)
    canonical_url    ``link[rel=canonical]``, meta (no events)
    language         html_lang, state, meta, url
    title, teaser    jsonld, state, dom, legacy, meta
    body             state, dom, legacy
    category         state, kicker, legacy
    category_id      state
    authors          jsonld, state, dom, legacy, credit_line
    published        jsonld, state, meta, legacy, text
    modified         jsonld, state, meta
    topics, images   every one of: dom, legacy (``missing/topics`` if none)
    layout           legacy, current, else ``unknown`` (no events)
    ===============  ==========================================================
    """

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html
        self.events: list[str] = []
        try:
            self.tree, too_deep = parse_html(html or "<html></html>")
        except (ParserError, ValueError):
            self.events.append("html_invalid")
            self.tree, too_deep = parse_html("<html></html>")
        if too_deep:
            self.events.append("html_too_deep")
        self._sources = {source: source(self) for source, _ in COMPOSITION}

    def _hooks(self, name: str) -> list[tuple[str, Callable[[], Any]]]:
        """The methods of field ``name``'s sources, in its order, with the names their events give them."""
        return [(event, getattr(self._sources[source], name)) for source, event in _FIELD_ORDER.get(name, ())]

    def _pick(self, name: str, *candidates: tuple[str, Callable[[], Any]]) -> Any:
        """First non-empty candidate, computed in order and no further than needed; records which
        source gave it, or that none did."""
        for source, candidate in candidates:
            value = candidate()
            if value:
                self.events.append(f"source/{name}/{source}")
                return value
        self.events.append(f"missing/{name}")
        return None

    def _first_of(self, name: str) -> Any:
        """The first non-empty value of field ``name``'s sources, no further than needed; no event."""
        for _, hook in self._hooks(name):
            value = hook()
            if value:
                return value
        return None

    def _all_of(self, name: str) -> list[Any]:
        return [value for _, hook in self._hooks(name) for value in hook()]

    @property
    def jsonld(self) -> dict[str, Any]:
        return cast(JsonLd, self._sources[JsonLd]).data

    @property
    def state(self) -> dict[str, Any]:
        return cast(AppState, self._sources[AppState]).data

    @property
    def state_article(self) -> dict[str, Any]:
        return cast(AppState, self._sources[AppState]).article

    @cached_property
    def layout(self) -> str:
        """``current`` (2023-2026 React app), ``legacy`` (before mid-2023) or ``unknown``."""
        return str(self._first_of("layout") or UNKNOWN_LAYOUT)

    @cached_property
    def path_content_id(self) -> int | None:
        return urls.article_id(self.url)

    @cached_property
    def canonical_url(self) -> str | None:
        """The page's canonical link (``link[rel=canonical]``, else ``og:url``) without tracking; one
        that is no absolute http(s) URL is none (``bad_url/canonical``)."""
        candidates = [
            lambda: first(self.tree, '/descendant::link[@rel="canonical"][1]/@href'),
            *(hook for _, hook in self._hooks("canonical_url")),
        ]
        for candidate in candidates:
            link = str(candidate() or "").strip()
            if link and urls.usable_url(link):
                return urls.strip_tracking(link)
            if link:
                self.events.append("bad_url/canonical")
        return None

    @cached_property
    def on_site_canonical(self) -> str | None:
        """The canonical URL when it is on DW (a DW page host) or on the host the page came from
        (a mirror), else None: a link to another site says nothing about this article."""
        canonical = self.canonical_url
        if canonical is None:
            return None
        host = (urlsplit(canonical).hostname or "").lower().rstrip(".")
        try:
            page_host = (urlsplit(self.url).hostname or "").lower().rstrip(".")
        except ValueError:
            page_host = ""
        return canonical if host in urls.DW_PAGE_HOSTS or (page_host and host == page_host) else None

    @cached_property
    def fetched_url(self) -> str:
        """The URL the page was fetched under, without tracking; "" (``bad_url/url``) if it is no
        absolute http(s) URL."""
        if urls.usable_url(self.url):
            return urls.strip_tracking(self.url)
        self.events.append("bad_url/url")
        return ""

    @cached_property
    def record_url(self) -> str:
        """The record's ``url``: the canonical URL when it is on DW (or the page's own host) and
        names this article's content id; else the URL the page was fetched under, and
        ``canonical_elsewhere`` when a canonical link pointed elsewhere (another site, another
        article, no article)."""
        canonical = self.canonical_url
        if canonical is None:
            return self.fetched_url
        same_article = self.content_id is not None and urls.article_id(canonical) == self.content_id
        if self.on_site_canonical is not None and same_article:
            return canonical
        self.events.append("canonical_elsewhere")
        return self.fetched_url

    @cached_property
    def page_short_id(self) -> str | None:
        found = self._first_of("page_short_id")
        return str(found) if found else None

    @cached_property
    def content_id(self) -> int | None:
        value = self._pick(
            "content_id",
            ("url", lambda: self.path_content_id),
            ("canonical", lambda: urls.article_id(self.on_site_canonical or "")),
            *self._hooks("content_id"),
            ("short_link", lambda: ids.short_id_to_content_id(self.page_short_id) if self.page_short_id else None),
        )
        return int(value) if value else None

    @cached_property
    def short_id(self) -> str | None:
        if self.content_id is None:
            return None
        computed = ids.content_id_to_short_id(self.content_id)
        if self.page_short_id is None:
            self.events.append("missing/page_short_id")
        elif self.page_short_id != computed:
            self.events.append("short_id_mismatch")
        return computed

    @cached_property
    def language(self) -> str | None:
        def from_url() -> str | None:
            parsed = urls.parse_path(self.on_site_canonical or self.url)
            return parsed.language if parsed else None

        value = self._pick(
            "language",
            ("html_lang", lambda: str(self.tree.get("lang") or "")[:2].lower()),
            *self._hooks("language"),
            ("url", from_url),
        )
        return str(value) if value else None

    title = _text_field("title")
    teaser = _text_field("teaser")
    category = _text_field("category")
    category_id = _text_field("category_id")  # DW's ``originId`` (19990022 is politics), when the page embeds it
    published = _text_field("published")
    modified = _text_field("modified")

    @cached_property
    def _found_body(self) -> FoundBody | None:
        """The first source's body with paragraphs; failing that, the first that held only credit
        lines: an old DW radio item, whose text is its teaser and whose body is "Auteur : ... /
        Edition : ...". Its teaser is then its body (``source/body/teaser``) and its credit lines
        fill authors and editors. A page with neither (a body DW moved where no hook finds it) has
        no body: its teaser alone is never taken for the text."""
        credits_only: FoundBody | None = None
        for source, hook in self._hooks("body"):
            found: FoundBody | None = hook()
            if found is not None and found.body.paragraphs:
                self.events.append(f"source/body/{source}")
                return found
            credits_only = credits_only or found
        if credits_only is not None and self.teaser:
            credits_only.body.paragraphs.append(self.teaser)
            self.events.append("source/body/teaser")
            return credits_only
        self.events.append("missing/body")
        return credits_only

    @cached_property
    def body(self) -> Body:
        return self._found_body.body if self._found_body else Body([])

    @property
    def body_container(self) -> Any | None:
        """The element the body was read from (its figures are the body's images), or None."""
        return self._found_body.container if self._found_body else None

    def _image_texts(self, container: Any) -> frozenset[str]:
        """Alt texts, captions and credits of the page's images (and of the body's own HTML)."""
        texts: list[str] = []
        for tree in (self.tree, container) if container is not None else (self.tree,):
            texts += [str(alt) for alt in tree.xpath(".//img/@alt")]
            texts += [text_of(caption) for caption in tree.xpath(".//figcaption")]
        for image in self.images:
            texts += [image.caption or "", image.credit or ""]
        return frozenset(key for key in (image_text_key(text) for text in texts) if len(key) >= 6)

    @cached_property
    def subheadings(self) -> list[str]:
        return self.body.subheadings

    @cached_property
    def kicker(self) -> list[str]:
        return self._all_of("kicker")

    @cached_property
    def category_ids(self) -> list[str]:
        return self._all_of("category_ids")

    @cached_property
    def topics(self) -> list[str]:
        topics = dedupe(self._all_of("topics"))
        if not topics:
            self.events.append("missing/topics")
        return topics

    @cached_property
    def authors(self) -> list[str]:
        value = self._pick("authors", *self._hooks("authors"), ("credit_line", lambda: self.body.authors))
        return list(value or [])

    @cached_property
    def images(self) -> list[Image]:
        seen: set[str] = set()
        unique = []
        for image in self._all_of("images"):
            if not urls.usable_url(image.url):  # a javascript: or relative data-url, a lost character
                self.events.append("bad_url/images")
            elif image.url not in seen:
                seen.add(image.url)
                unique.append(image)
        return unique

    def is_politics(self, rule: PoliticsRule = DEFAULT_POLITICS) -> bool:
        """Politics by the embedded category id, or by the category/kicker text where no id is embedded."""
        if self.category_ids:
            return rule.category_id in self.category_ids
        names = [self.category or "", *self.kicker]
        return any(name.strip().casefold() in rule.folded_labels for name in names)

    def record(self) -> dict[str, Any]:
        """Every field of the article record except ``crawled_at``, in the record's order."""
        return dict(self._record)

    @cached_property
    def _record(self) -> dict[str, Any]:
        short_id = self.short_id
        body = self.body
        body.image_texts = self._image_texts(self.body_container)  # after the images (they need the body)
        return {
            "short_id": short_id,
            "short_url": ids.short_url(short_id) if short_id else None,  # base 62: always https
            "content_id": self.content_id,
            "url": self.record_url,
            "language": self.language,
            "content_type": "article",
            "title": self.title,
            "teaser": self.teaser,
            "body": body.text,
            "subheadings": list(body.subheadings),
            "category": self.category,
            "category_id": self.category_id,
            "topics": self.topics,
            "authors": self.authors,
            "editors": list(body.editors),
            "agencies": list(body.agencies),
            "published": self.published,
            "modified": self.modified,
            "images": [image.as_dict() for image in self.images],
            "word_count": word_count(body.text),
        }


#: the Content-Types of an HTML answer (a page without one is read as HTML)
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


def is_html(content_type: str) -> bool:
    """Is an answer with this Content-Type header an HTML page?"""
    mime = content_type.split(";")[0].strip().lower()
    return not mime or mime in HTML_TYPES


def read_article(url: str, body: bytes, declared_encoding: str | None) -> ArticlePage:
    """The page object of an article answer's bytes, every field read once (so that ``events`` is
    complete); a charset repair is an event too (``charset/<what was done>``, see decode_html)."""
    html, repaired = decode_html(body, declared_encoding)
    page = ArticlePage(url, html)
    if repaired:
        page.events.append(f"charset/{repaired}")
    page.record()
    return page
