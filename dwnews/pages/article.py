"""The DW article page object: saved HTML in, article fields out, no Scrapy and no network.

Every field is read from the most stable source first: the JSON-LD ``NewsArticle``, then the
embedded state (``window.__APOLLO_STATE__`` of 2023-24, ``window.__APP_STATE__`` since 2025),
then stable DOM hooks of the current layout (2023-2026) and of the legacy layout (before
mid-2023). DW's styled class names are hashed and change with every redesign, so no selector
here uses them. Which source gave each field, and which fields are missing, is recorded in
``events`` so that a crawl can count it: a site change shows up as numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError

from dwnews import urls
from dwnews.dates import iso_utc, parse_text_date
from dwnews.text import (
    CleanText,
    collapse_whitespace,
    dedupe,
    is_read_more,
    pop_credit_lines,
    split_names,
    word_count,
)

IMAGE_FORMAT_ID = "6"  # DW's 940x529 rendition
STATIC_IMAGE_BASE = "https://static.dw.com/"

# DW's language enum (state ``Article.language``) for the editions this project reads.
STATE_LANGUAGES = {
    "KISWAHILI": "sw",
    "GERMAN": "de",
    "ENGLISH": "en",
    "FRENCH": "fr",
    "BOSNIAN": "bs",
    "AMHARIC": "am",
    "HAUSA": "ha",
    "PORTUGUESE": "pt",
    "SPANISH": "es",
    "ARABIC": "ar",
}

_STATE_MARKERS = ("window.__APP_STATE__", "window.__APOLLO_STATE__")
_IMAGE_ID_RE = re.compile(r"/image/(\d+)_")
_TITLE_SUFFIX_RE = re.compile(r"\s+[–|-]\s+DW\s+[–|-]\s+[\d./]+\s*$")
_CREDIT_RE = re.compile(r"^\s*(?:Picha|Bild|Image|Foto|Photo)\s*:\s*", re.IGNORECASE)
_LEGACY_LABELS = {
    "date": ("date", "datum", "tarehe"),
    "author": ("author", "autorin/autor", "autor", "autorin", "mwandishi", "waandishi"),
    "topics": ("related subjects", "themenseiten", "kurasa za mada", "mada zinazohusiana", "mada"),
    "permalink": ("permalink",),
}

# Elements whose text is never body text: media, embeds, ads, widgets.
_SKIP_TAGS = frozenset(
    {
        "figure",
        "figcaption",
        "blockquote",
        "script",
        "style",
        "noscript",
        "aside",
        "iframe",
        "svg",
        "button",
        "picture",
        "img",
        "video",
        "audio",
        "form",
    }
)
_SKIP_CLASSES = frozenset(
    {
        "rich-text-ad",
        "advertisement",
        "picBox",
        "gallery",
        "embed",
        "tweet",
        "sharing-bar",
        "copyright",
        "placeholder-image",
    }
)
_BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "li"})
_HEADING_TAGS = frozenset({"h2", "h3", "h4"})
_LEGACY_BLOCKS = "./p | ./h2 | ./h3 | ./ul/li | ./ol/li"


@dataclass
class Image:
    """An image of the article: URL with the format template resolved, caption and credit."""

    url: str
    caption: str | None
    credit: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"url": self.url, "caption": self.caption, "credit": self.credit}


@dataclass
class Body(CleanText):
    """The article text as paragraphs (with the credit lines moved out), and its subheadings."""

    subheadings: list[str] = field(default_factory=list)


def _has_class(name: str) -> str:
    """XPath test for one class among several (``contains(@class)`` would also match ``author-link``)."""
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def _classes(element: Any) -> set[str]:
    return set((element.get("class") or "").split())


def _is_skipped(element: Any) -> bool:
    tag = element.tag if isinstance(element.tag, str) else ""
    if tag in _SKIP_TAGS:
        return True
    return bool(_classes(element) & _SKIP_CLASSES)


def _text_of(element: Any) -> str:
    """Visible text of an element without the text of skipped children (ads, figures, embeds)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if node.text:
            parts.append(node.text)
        for child in node:
            if isinstance(child.tag, str) and not _is_skipped(child):
                if child.tag == "br":
                    parts.append(" ")
                walk(child)
            if child.tail:
                parts.append(child.tail)

    walk(element)
    return collapse_whitespace("".join(parts))


def extract_body(container: Any, legacy: bool = False) -> Body:
    """Paragraphs of a body container, in document order, with credit lines moved out.

    Blocks are ``p``, ``h2``-``h4`` and ``li`` not nested in another block or in media, embeds
    or ads. In the legacy layout a nested ``div.longText`` holds a picture gallery, not text.
    """
    body = Body([])
    blocks: list[tuple[str, str]] = []
    # Legacy bodies hold video teasers, galleries and newsletter boxes in nested divs between
    # the paragraphs; the article's own text is always a direct child there.
    elements = container.xpath(_LEGACY_BLOCKS) if legacy else container.iter(*_BLOCK_TAGS)
    for element in elements:
        if not legacy and not _counts_as_block(element, container):
            continue
        text = _text_of(element)
        if not text or is_read_more(text) or _is_promo(element, text):
            continue
        blocks.append((element.tag, text))
    _move_credit_lines(blocks, body)
    for tag, text in blocks:
        body.paragraphs.append(text)
        if tag in _HEADING_TAGS:
            body.subheadings.append(text)
    return body


def _is_promo(element: Any, text: str) -> bool:
    """A paragraph that is only a link to DW's newsletter sign-up is an advert for it."""
    links = element.xpath(".//a[contains(@href, 'newsletter')]")
    return bool(links) and collapse_whitespace("".join(a.text_content() for a in links)) == text


def _counts_as_block(element: Any, container: Any) -> bool:
    parent = element.getparent()
    while parent is not None and parent is not container:
        if parent.tag in _BLOCK_TAGS or _is_skipped(parent):
            return False
        parent = parent.getparent()
    return parent is container


def _move_credit_lines(blocks: list[tuple[str, str]], body: Body) -> None:
    """Move the credit lines that end a DW item (paragraphs only) into their fields."""
    eligible = 0
    for tag, _ in reversed(blocks):
        if tag != "p":
            break
        eligible += 1
    texts = [text for _, text in blocks]
    found = pop_credit_lines(texts, last_eligible=eligible)
    del blocks[len(texts) :]
    body.agencies, body.editors, body.authors = found.agencies, found.editors, found.authors


def _walk_dicts(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _walk_dicts(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk_dicts(child)


class ArticlePage:
    """A DW article page. Construct with the page URL and its HTML; read fields as properties.

    ``record()`` gives every field of the article record except ``crawled_at``; ``events``
    lists what the parse had to fall back on or could not find (``source/title/jsonld``,
    ``missing/authors``, ``jsonld_invalid``, ``short_id_mismatch``...).
    """

    def __init__(self, url: str, html: str) -> None:
        self.url = url
        self.html = html
        self.events: list[str] = []
        try:
            self.tree = lxml.html.document_fromstring(html or "<html></html>")
        except (ParserError, ValueError):
            self.events.append("html_invalid")
            self.tree = lxml.html.document_fromstring("<html></html>")

    # ----- raw sources -------------------------------------------------------------------

    def _first(self, xpath: str) -> Any | None:
        found = self.tree.xpath(xpath)
        return found[0] if found else None

    @cached_property
    def _metas(self) -> dict[str, str]:
        """``<meta>`` values by name or property, first one of each; the scripts-stripped 2026
        copies write ``value=`` where pages have ``content=``."""
        found: dict[str, str] = {}
        for meta in self.tree.iter("meta"):
            value = str(meta.get("content") or meta.get("value") or "").strip()
            for key in (meta.get("property"), meta.get("name")):
                if key and value and key not in found:
                    found[str(key)] = value
        return found

    def _meta(self, *names: str) -> str | None:
        return next((self._metas[name] for name in names if name in self._metas), None)

    @cached_property
    def jsonld(self) -> dict[str, Any]:
        """The JSON-LD NewsArticle object, or {} (invalid JSON-LD is counted, not raised)."""
        for script in self.tree.xpath('//script[@type="application/ld+json"]'):
            try:
                data = json.loads(script.text or "")
            except ValueError:
                self.events.append("jsonld_invalid")
                continue
            candidates = data.get("@graph", [data]) if isinstance(data, dict) else data
            if not isinstance(candidates, list):
                continue
            for candidate in candidates:
                if isinstance(candidate, dict) and str(candidate.get("@type", "")).endswith("Article"):
                    return candidate
        return {}

    @cached_property
    def state(self) -> dict[str, Any]:
        """The embedded app state (``__APP_STATE__`` or ``__APOLLO_STATE__``) as a dict, or {}."""
        for script in self.tree.xpath("//script[not(@src)]"):
            text = script.text or ""
            for marker in _STATE_MARKERS:
                start = text.find(marker)
                if start < 0:
                    continue
                brace = text.find("{", start + len(marker))
                if brace < 0:
                    continue
                try:
                    value, _ = json.JSONDecoder().raw_decode(text, brace)
                except ValueError:
                    self.events.append("state_invalid")
                    continue
                if isinstance(value, dict):
                    self.events.append("state/" + ("app" if "APP" in marker else "apollo"))
                    return value
        return {}

    def _resolve(self, value: Any) -> Any:
        """Follow an Apollo ``{"__ref": "Type:id"}`` reference."""
        if isinstance(value, dict) and set(value) == {"__ref"}:
            return self.state.get(value["__ref"], {})
        return value

    @cached_property
    def state_article(self) -> dict[str, Any]:
        """The state's ``Article`` entity for this page's content id, or {}."""
        if not self.state:
            return {}
        wanted = self.path_content_id
        if wanted is not None and isinstance(self.state.get(f"Article:{wanted}"), dict):
            return dict(self.state[f"Article:{wanted}"])
        for entity in _walk_dicts(self.state):
            is_article = entity.get("__typename") == "Article" and "text" in entity
            if is_article and (wanted is None or entity.get("id") == wanted):
                return entity
        return {}

    @cached_property
    def layout(self) -> str:
        """``current`` (2023-2026 React app), ``legacy`` (before mid-2023) or ``unknown``."""
        if self.tree.xpath(f"//div[{_has_class('longText')}]"):
            return "legacy"
        if self.tree.xpath("//article//header//h1") or self._rich_text is not None:
            return "current"
        return "unknown"

    @cached_property
    def _rich_text(self) -> Any | None:
        return self._first(f'//div[@data-tracking-name="rich-text"] | //div[{_has_class("rich-text")}]')

    @cached_property
    def _legacy_body(self) -> Any | None:
        return self._first(f"//div[{_has_class('longText')}]")

    @cached_property
    def _legacy_meta(self) -> dict[str, Any]:
        """The legacy ``ul.smallList`` entries by normalised label (Date, Author, Permalink...)."""
        entries: dict[str, Any] = {}
        for item in self.tree.xpath('//ul[contains(@class, "smallList")]/li[strong]'):
            label = collapse_whitespace(item.xpath("string(strong)")).rstrip(":").lower()
            for key, labels in _LEGACY_LABELS.items():
                if label in labels and key not in entries:
                    entries[key] = item
        return entries

    def _legacy_value(self, key: str) -> str | None:
        item = self._legacy_meta.get(key)
        if item is None:
            return None
        text = collapse_whitespace("".join(item.xpath("text()|*[not(self::strong)]//text()")))
        return text or None

    def _kicker_items(self) -> list[str]:
        kicker = self._first('//article//*[@data-tracking-name="content-detail-kicker"]')
        if kicker is None:
            return []
        return dedupe([_text_of(span) for span in kicker.xpath("./span | ./a")])

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

    # ----- identity ----------------------------------------------------------------------

    @cached_property
    def path_content_id(self) -> int | None:
        return urls.article_id(self.url)

    @cached_property
    def canonical_url(self) -> str | None:
        link = self._first('//link[@rel="canonical"]/@href') or self._meta("og:url")
        # a page's own canonical link is data: one that is no usable URL is no canonical URL
        return urls.strip_tracking(str(link).strip()) if link and urls.usable_url(str(link).strip()) else None

    @cached_property
    def page_short_id(self) -> str | None:
        """The short id the page itself shows (copy button, state permalink, legacy Permalink)."""
        sources = [
            self.tree.xpath('string(//article//*[contains(@class, "copy-button-wrapper")])'),
            str(self.state_article.get("permaLinkUrl") or ""),
            self._legacy_value("permalink") or "",
        ]
        for text in sources:
            found = urls.short_id_from_text(text)
            if found:
                return found
        return None

    @cached_property
    def content_id(self) -> int | None:
        """The content id: from the URL, else the canonical URL, the state, the page's short link."""

        def from_state() -> int | None:
            value = self.state_article.get("id")
            return value if isinstance(value, int) else None

        value = self._pick(
            "content_id",
            ("url", lambda: self.path_content_id),
            ("canonical", lambda: urls.article_id(self.canonical_url or "")),
            ("state", from_state),
            ("short_link", lambda: urls.short_id_to_content_id(self.page_short_id) if self.page_short_id else None),
        )
        return int(value) if value else None

    @cached_property
    def short_id(self) -> str | None:
        if self.content_id is None:
            return None
        computed = urls.content_id_to_short_id(self.content_id)
        if self.page_short_id is None:
            self.events.append("missing/page_short_id")
        elif self.page_short_id != computed:
            self.events.append("short_id_mismatch")
        return computed

    # ----- fields ------------------------------------------------------------------------

    @cached_property
    def language(self) -> str | None:
        def from_url() -> str | None:
            parsed = urls.parse_path(self.canonical_url or self.url)
            return parsed.language if parsed else None

        value = self._pick(
            "language",
            ("html_lang", lambda: str(self.tree.get("lang") or "")[:2].lower()),
            ("state", lambda: STATE_LANGUAGES.get(str(self.state_article.get("language") or ""), "")),
            ("meta", lambda: (self._meta("language") or "")[:2].lower()),
            ("url", from_url),
        )
        return str(value) if value else None

    @cached_property
    def title(self) -> str | None:
        value = self._pick(
            "title",
            ("jsonld", lambda: collapse_whitespace(str(self.jsonld.get("headline") or ""))),
            ("state", lambda: collapse_whitespace(str(self.state_article.get("title") or ""))),
            ("dom", lambda: collapse_whitespace(self.tree.xpath("string(//article//header//h1)"))),
            ("legacy", lambda: collapse_whitespace(self.tree.xpath('string(//div[@id="bodyContent"]//h1)'))),
            ("meta", lambda: collapse_whitespace(_TITLE_SUFFIX_RE.sub("", self._meta("og:title") or ""))),
        )
        return str(value) if value else None

    @cached_property
    def teaser(self) -> str | None:
        value = self._pick(
            "teaser",
            ("jsonld", lambda: collapse_whitespace(str(self.jsonld.get("description") or ""))),
            ("state", lambda: collapse_whitespace(str(self.state_article.get("teaser") or ""))),
            (
                "dom",
                lambda: collapse_whitespace(self.tree.xpath('string(//header//p[contains(@class, "teaser-text")])')),
            ),
            ("legacy", lambda: collapse_whitespace(self.tree.xpath('string(//p[contains(@class, "intro")])'))),
            ("meta", lambda: collapse_whitespace(self._meta("og:description", "description") or "")),
        )
        return str(value) if value else None

    @cached_property
    def body(self) -> Body:
        """The body: state ``Article.text`` HTML, else the DOM rich text, else legacy ``longText``."""
        state_html = self.state_article.get("text")
        candidates: list[tuple[str, Any, bool]] = []
        if isinstance(state_html, str) and state_html.strip():
            try:
                candidates.append(("state", lxml.html.fragment_fromstring(state_html, create_parent="div"), False))
            except (ParserError, ValueError):
                self.events.append("state_text_invalid")
        if self._rich_text is not None:
            candidates.append(("dom", self._rich_text, False))
        if self._legacy_body is not None:
            candidates.append(("legacy", self._legacy_body, True))
        for source, container, legacy in candidates:
            body = extract_body(container, legacy=legacy)
            if body.paragraphs:
                self.events.append(f"source/body/{source}")
                self._body_container = container
                return body
        self.events.append("missing/body")
        self._body_container = None
        return Body([])

    @cached_property
    def subheadings(self) -> list[str]:
        return self.body.subheadings

    @cached_property
    def kicker(self) -> list[str]:
        return self._kicker_items()

    @cached_property
    def category(self) -> str | None:
        focus = self.state_article.get("thematicFocusCategory") or {}
        name = focus.get("name") if isinstance(focus, dict) else None  # a dict lookup: cheap
        value = self._pick(
            "category",
            ("state", lambda: collapse_whitespace(str(name or ""))),
            ("kicker", lambda: self.kicker[0] if self.kicker else None),
            ("legacy", lambda: collapse_whitespace(self.tree.xpath('string(//h4[contains(@class, "artikel")])'))),
        )
        return str(value) if value else None

    @cached_property
    def category_id(self) -> str | None:
        """DW's category id (``originId``; 19990022 is politics) when the page embeds it."""
        categories = self.state_article.get("categories") or []
        ids = [str(c.get("originId")) for c in categories if isinstance(c, dict) and c.get("originId")]
        value = self._pick("category_id", ("state", lambda: ids[0] if ids else None))
        return str(value) if value else None

    @cached_property
    def category_ids(self) -> list[str]:
        categories = self.state_article.get("categories") or []
        return [str(c.get("originId")) for c in categories if isinstance(c, dict) and c.get("originId")]

    @cached_property
    def topics(self) -> list[str]:
        kicker_rest = self.kicker[1:]
        related = [_text_of(a) for a in self.tree.xpath('//section[@id="related-topics"]//a[contains(@href, "/t-")]')]
        legacy_item = self._legacy_meta.get("topics")
        legacy = (
            [collapse_whitespace(a.text_content()) for a in legacy_item.xpath(".//a")]
            if legacy_item is not None
            else []
        )
        topics = dedupe(kicker_rest + related + legacy)
        if not topics:
            self.events.append("missing/topics")
        return topics

    @cached_property
    def authors(self) -> list[str]:
        value = self._pick(
            "authors",
            ("jsonld", self._jsonld_authors),
            ("state", self._state_authors),
            ("dom", self._dom_authors),
            ("legacy", lambda: split_names(self._legacy_value("author") or "")),
            ("credit_line", lambda: self.body.authors),
        )
        return list(value or [])

    def _jsonld_authors(self) -> list[str]:
        authors = self.jsonld.get("author") or []
        if isinstance(authors, dict):
            authors = [authors]
        return dedupe(
            [
                collapse_whitespace(str(a.get("name") or ""))
                for a in authors
                if isinstance(a, dict) and a.get("@type", "Person") == "Person"
            ]
        )

    def _state_authors(self) -> list[str]:
        names = []
        for person in self.state_article.get("persons") or []:
            person = self._resolve(person)
            if isinstance(person, dict) and person.get("fullName"):
                names.append(collapse_whitespace(str(person["fullName"])))
        return dedupe(names)

    def _dom_authors(self) -> list[str]:
        details = self._first('//article//*[contains(@class, "author-details")]')
        if details is None:
            return []
        nodes = details.xpath(f'.//a[contains(@class, "author-link")] | .//*[{_has_class("author")}]')
        return dedupe([collapse_whitespace(n.text_content()) for n in nodes])

    @cached_property
    def published(self) -> str | None:
        value = self._pick(
            "published",
            ("jsonld", lambda: iso_utc(str(self.jsonld.get("datePublished") or ""))),
            ("state", lambda: iso_utc(str(self.state_article.get("firstPublicationDate") or ""))),
            ("meta", lambda: iso_utc(self._meta("article:published_time", "date", "dcterms.date") or "")),
            ("legacy", lambda: iso_utc(self._legacy_value("date") or "")),
            ("text", lambda: self._visible_date()),
        )
        return str(value) if value else None

    @cached_property
    def modified(self) -> str | None:
        value = self._pick(
            "modified",
            ("jsonld", lambda: iso_utc(str(self.jsonld.get("dateModified") or ""))),
            ("state", lambda: iso_utc(str(self.state_article.get("lastModifiedDate") or ""))),
            ("meta", lambda: iso_utc(self._meta("article:modified_time", "last-modified") or "")),
        )
        return str(value) if value else None

    def _visible_date(self) -> str | None:
        """The date as readers see it ("14 Septemba 2023"); DW's ``<time>`` has no datetime."""
        area = self._first('//*[contains(@class, "time-area")]')
        if area is None:
            return None
        texts = [collapse_whitespace(t) for t in area.xpath(".//text()")]
        for text in sorted(filter(None, texts), key=len, reverse=True):
            parsed = parse_text_date(text, self.language or "sw")
            if parsed:
                return parsed
        return None

    @cached_property
    def images(self) -> list[Image]:
        images: list[Image] = []
        lead = self._first(f"//article//figure[not(ancestor::*[{_has_class('rich-text')}])]")
        if lead is not None:
            image = self._figure_image(lead)
            if image:
                images.append(image)
        self.body  # noqa: B018 -- chooses the body container the figures are read from
        container = getattr(self, "_body_container", None)
        if container is not None and self.layout != "legacy":
            for figure in container.xpath(".//figure"):
                image = self._figure_image(figure)
                if image:
                    images.append(image)
        if self.layout == "legacy":
            images.extend(self._legacy_images())
        seen: set[str] = set()
        unique = [img for img in images if not (img.url in seen or seen.add(img.url))]  # type: ignore[func-returns-value]
        return unique

    def _figure_image(self, figure: Any) -> Image | None:
        img = self._first_in(figure, ".//img")
        if img is None:
            return None
        template = img.get("data-url")
        if template:
            url = template.replace("${formatId}", IMAGE_FORMAT_ID)
        else:
            candidates = " ".join(filter(None, [img.get("srcset"), img.get("srcSet"), img.get("src")]))
            candidates += " " + " ".join(figure.xpath(".//source/@srcset | .//source/@srcSet"))
            match = _IMAGE_ID_RE.search(candidates)
            if match is None:
                return None
            url = f"{STATIC_IMAGE_BASE}image/{match.group(1)}_{IMAGE_FORMAT_ID}.jpg"
        caption_el = self._first_in(figure, ".//figcaption")
        caption = credit = None
        if caption_el is not None:
            credit_el = self._first_in(caption_el, './/*[contains(@class, "copyright")]')
            if credit_el is not None:
                credit = collapse_whitespace(_CREDIT_RE.sub("", collapse_whitespace(credit_el.text_content()))) or None
            caption = _text_of(caption_el) or None
        return Image(url=url, caption=caption, credit=credit)

    @staticmethod
    def _first_in(element: Any, xpath: str) -> Any | None:
        found = element.xpath(xpath)
        return found[0] if found else None

    def _legacy_images(self) -> list[Image]:
        images = []
        column = self._first('//div[@id="bodyContent"]/div[contains(@class, "col3")]')
        if column is None:
            column = self.tree
        boxes = column.xpath(
            './div[contains(@class, "picBox")]'
            ' | .//div[contains(@class, "longText")][1]/div[contains(@class, "picBox")]'
        )
        for box in boxes:
            src = box.xpath("string(.//img/@src)")
            if not src:
                continue
            caption = collapse_whitespace(box.xpath("string(./p)")) or None
            images.append(Image(url=urljoin(STATIC_IMAGE_BASE, src), caption=caption, credit=None))
        return images

    # ----- the record --------------------------------------------------------------------

    def is_politics(self, category_id: str = "19990022", labels: tuple[str, ...] = ("siasa",)) -> bool:
        """Politics by the embedded category id, or by the category/kicker text where no id is embedded."""
        if self.category_ids:
            return category_id in self.category_ids
        names = [self.category or "", *self.kicker]
        return any(name.strip().lower() in labels for name in names)

    def record(self) -> dict[str, Any]:
        """Every field of the article record except ``crawled_at``, in the record's order."""
        return dict(self._record)

    @cached_property
    def _record(self) -> dict[str, Any]:
        short_id = self.short_id
        body = self.body
        editors = body.editors
        return {
            "short_id": short_id,
            "short_url": urls.short_url(short_id) if short_id else None,
            "content_id": self.content_id,
            "url": self.canonical_url or urls.strip_tracking(self.url),
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
            "editors": list(editors),
            "agencies": list(body.agencies),
            "published": self.published,
            "modified": self.modified,
            "images": [image.as_dict() for image in self.images],
            "word_count": word_count(body.text),
        }
