"""The DW article page object: saved HTML in, article fields out, no Scrapy and no network.

Every field is read from the most stable source first: the JSON-LD ``NewsArticle``, then the
embedded state (``window.__APOLLO_STATE__`` of 2023-24, ``window.__APP_STATE__`` since 2025),
then stable DOM hooks of the current layout (2023-2026) and of the legacy layout (before
mid-2023). DW's styled class names are hashed and change with every redesign, so no selector
here uses them. Which source gave each field, and which fields are missing, is recorded in
``events`` so that a crawl can count it: a site change shows up as numbers.

Hostile input costs only the source or field it is in, never the page: invalid bytes (see
:mod:`dwnews.encoding`), JSON that does not parse or nests deeper than MAX_JSON_DEPTH (skipped
like invalid JSON), HTML nested deeper than libxml2 builds (built again, MAX_HTML_DEPTH deep),
a number or object where text belongs, a URL that is no http(s) URL. Nothing here recurses over
the page's tree or its JSON.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
from lxml.etree import ErrorTypes, ParserError

from dwnews import urls
from dwnews.dates import iso_utc, parse_text_date
from dwnews.text import (
    CleanText,
    collapse_whitespace,
    dedupe,
    image_text_key,
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

# JSON-LD and the embedded state are a few levels deep (DW's are 3 and 7). A blob nested deeper
# than this is no data of ours: it is skipped like invalid JSON, whatever the interpreter's stack
# would allow, so that no code reading it can run out of stack and the verdict never depends on
# how deep the caller's stack already was.
MAX_JSON_DEPTH = 64
# Integers longer than this are no id, date or count of ours; read as floats, so that int()'s
# limit (4300 digits) cannot make the whole blob invalid, and no field takes them (not an int).
_MAX_JSON_INT_DIGITS = 20

# libxml2 stops building a tree at 256 levels (2048 with ``huge_tree``) and drops the rest of the
# page. A page nested deeper is built again by :class:`_BoundedTreeBuilder`, at most this deep.
MAX_HTML_DEPTH = 256
# What libxml2 keeps in a tree but lxml refuses to be given from Python (control characters).
_NOT_XML_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
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
_RICH_TEXT = "rich-text"  # the current layout's body: its class or data-tracking-name
_LEGACY_TEXT = "longText"  # the legacy layout's body: its class


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
    """The article text as paragraphs (with the credit lines moved out), and its subheadings.

    ``image_texts``: every image alt text, caption and credit of the page (and of the body's own
    HTML), as :func:`dwnews.text.image_text_key` compares them: a body paragraph that repeats one
    is the image's text, not the article's (the cleaning drops it as ``image_text``).
    """

    subheadings: list[str] = field(default_factory=list)
    image_texts: frozenset[str] = frozenset()


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


def _is_body_container(element: Any) -> bool:
    """The element that holds an article's text, in either layout (``div.rich-text``, ``div.longText``)."""
    return element.get("data-tracking-name") == _RICH_TEXT or bool(_classes(element) & {_RICH_TEXT, _LEGACY_TEXT})


def _text_of(element: Any) -> str:
    """Visible text of an element without the text of skipped children (ads, figures, embeds).

    Walked with a stack of its own, not recursion: a tree may be thousands of levels deep.
    """
    parts: list[str] = [element.text or ""]
    children: list[Iterator[Any]] = [iter(element)]
    tails: list[str] = []  # the tail of each element being walked, written once its children are done
    while children:
        child = next(children[-1], None)
        if child is None:
            children.pop()
            if tails:
                parts.append(tails.pop())
        elif isinstance(child.tag, str) and not _is_skipped(child):
            if child.tag == "br":
                parts.append(" ")
            parts.append(child.text or "")
            children.append(iter(child))
            tails.append(child.tail or "")
        else:
            parts.append(child.tail or "")
    return collapse_whitespace("".join(parts))


def _body_blocks(container: Any) -> Iterator[Any]:
    """The blocks of a body container in document order: ``p``, ``h2``-``h4`` and ``li`` that are
    not inside another block, media, an embed or an ad. One walk with a stack of its own, so the
    cost is the container's size whatever its depth."""
    children: list[Iterator[Any]] = [iter(container)]
    while children:
        child = next(children[-1], None)
        if child is None:
            children.pop()
        elif not isinstance(child.tag, str):
            continue
        elif child.tag in _BLOCK_TAGS:
            yield child  # what is inside a block is part of it, never a block of its own
        elif not _is_skipped(child):
            children.append(iter(child))


def extract_body(container: Any, legacy: bool = False) -> Body:
    """Paragraphs of a body container, in document order, with credit lines moved out.

    Blocks are ``p``, ``h2``-``h4`` and ``li`` not nested in another block or in media, embeds
    or ads. In the legacy layout a nested ``div.longText`` holds a picture gallery, not text.
    """
    body = Body([])
    blocks: list[tuple[str, str]] = []
    # Legacy bodies hold video teasers, galleries and newsletter boxes in nested divs between
    # the paragraphs; the article's own text is always a direct child there.
    elements = container.xpath(_LEGACY_BLOCKS) if legacy else _body_blocks(container)
    for element in elements:
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
    """Every object in a JSON value, depth first in document order; with a stack of its own."""
    stack: list[Iterator[Any]] = [iter([value])]
    while stack:
        child = next(stack[-1], None)
        if child is None:
            stack.pop()
        elif isinstance(child, dict):
            yield child
            stack.append(iter(child.values()))
        elif isinstance(child, list):
            stack.append(iter(child))


def _nested_deeper_than(value: Any, limit: int) -> bool:
    """True when a JSON value has objects or arrays nested more than ``limit`` deep; level by
    level, no recursion."""
    level = [value]
    depth = 0
    while True:
        containers = [node for node in level if isinstance(node, dict | list)]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [child for node in containers for child in (node.values() if isinstance(node, dict) else node)]


def _json_int(digits: str) -> int | float:
    significant = digits.lstrip("-").lstrip("0")
    return float(digits) if len(significant) > _MAX_JSON_INT_DIGITS else int(digits)


_JSON = json.JSONDecoder(parse_int=_json_int)


def read_json(text: str, start: int | None = None) -> Any:
    """The JSON value of ``text`` (or the one starting at ``start``, with anything after it).

    Raises ValueError, as for invalid JSON, for a value nested deeper than MAX_JSON_DEPTH
    (the decoder's RecursionError included).
    """
    try:
        value = _JSON.decode(text) if start is None else _JSON.raw_decode(text, start)[0]
    except RecursionError:
        raise ValueError("JSON nested too deep for the decoder") from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} deep")
    return value


def _is_article_type(value: Any) -> bool:
    """A JSON-LD ``@type`` naming an article type (``NewsArticle``, or a list holding one)."""
    names = value if isinstance(value, list) else [value]
    return any(isinstance(name, str) and name.endswith("Article") for name in names)


def _is_json_int(value: Any) -> bool:
    """A JSON integer: True and False are ints to Python, not to JSON."""
    return isinstance(value, int) and not isinstance(value, bool)


class _BoundedTreeBuilder:
    """lxml parser target building a page's tree at most MAX_HTML_DEPTH levels deep.

    Used only for a page libxml2 would not build (nested deeper than its limit). When an element
    would open deeper than the bound, a wrapper in the deeper half of the open path that so far
    holds nothing but the next open element (a ``div`` or ``span``, no text, one child; not a body
    container, not an ad or figure) is unwrapped to make room: its child takes its place, and what
    it holds later follows that child. A chain of thousands of nested ``div`` so collapses while
    what is inside it, the article body with its paragraphs, keeps its shape. When no wrapper can
    go, the new element's tags are dropped and its text stays in its parent. Comments are dropped.
    """

    def __init__(self) -> None:
        self._maker = lxml.html.HTMLParser()  # makes lxml.html elements (text_content(), ...)
        self.root: Any | None = None
        self._open: list[bool] = []  # per open element: is it in the tree (not dropped, not unwrapped)
        self._built: list[Any] = []  # the open elements in the tree: the path from the root
        self._built_at: list[int] = []  # where each of them is in _open
        self._settled = MAX_HTML_DEPTH // 2  # _built[:_settled] holds content: never to be unwrapped
        self._last: Any | None = None  # where text goes: its text, or its tail once it is closed
        self._tail = False
        self._data: list[str] = []

    # Text is buffered until where it goes changes (a built element starts or ends): appended piece
    # by piece to one element, the text of thousands of dropped elements would cost quadratic time.

    def start(self, tag: str, attrib: dict[str, str]) -> None:
        element = self._new_element(tag, attrib)
        if element is None:
            self._open.append(False)  # dropped: its text stays where the text before it went
            return
        self._flush()
        self._built_at.append(len(self._open))
        self._open.append(True)
        self._built.append(element)
        self._last, self._tail = element, False

    def _new_element(self, tag: str, attrib: dict[str, str]) -> Any | None:
        if self.root is not None and not self._built:
            return None  # a second top-level element (after </html>): none, as libxml2 has one root
        if len(self._built) >= MAX_HTML_DEPTH and not self._unwrap():
            return None
        values = {name: _NOT_XML_RE.sub("", value) for name, value in attrib.items()}
        for attributes in (values, {}):  # without its attributes if lxml refuses one of their names
            try:
                if self.root is None:
                    self.root = self._maker.makeelement(tag, attributes)
                    return self.root
                return lxml.etree.SubElement(self._built[-1], tag, attributes)
            except ValueError:  # a name lxml refuses (libxml2 builds those itself)
                continue
        return None

    def end(self, tag: str) -> None:
        if self._open and self._open.pop():
            self._flush()
            element = self._built.pop()
            self._built_at.pop()
            self._settled = min(self._settled, len(self._built))
            self._last, self._tail = element, True
        # an unwrapped or dropped element: what follows it continues after its content, where
        # _last and _tail already point

    def data(self, text: str) -> None:
        self._data.append(text)

    def comment(self, text: str) -> None:
        pass

    def close(self) -> Any:
        self._flush()
        return self.root

    def _flush(self) -> None:
        if not self._data or self._last is None:
            self._data.clear()
            return
        text = _NOT_XML_RE.sub("", "".join(self._data))
        self._data.clear()
        if self._tail:
            self._last.tail = (self._last.tail or "") + text
        else:
            self._last.text = (self._last.text or "") + text

    def _unwrap(self) -> bool:
        """Make room by unwrapping the shallowest open wrappers in the deeper half of the path (a run
        of them at once: their innermost child takes the first one's place); False if there is none."""
        first = max(self._settled, MAX_HTML_DEPTH // 2)
        while first < len(self._built) - 1 and not self._is_wrapper(self._built[first]):
            first += 1  # it holds text or more than one child, or matters to the extraction: for good
        self._settled = first
        if first >= len(self._built) - 1:
            return False
        last = first
        while last + 1 < len(self._built) - 1 and self._is_wrapper(self._built[last + 1]):
            last += 1
        wrapper = self._built[first]
        wrapper.getparent().replace(wrapper, self._built[last + 1])
        for at in self._built_at[first : last + 1]:
            self._open[at] = False
        del self._built[first : last + 1], self._built_at[first : last + 1]
        return True

    def _is_wrapper(self, element: Any) -> bool:
        """An open ``div`` or ``span`` (not the deepest) holding nothing but the next open element,
        and not one the extraction reads (a body container, an ad, an embed)."""
        if element.tag not in ("div", "span") or len(element) != 1 or (element.text or "").strip():
            return False
        return not (element.attrib and (_is_body_container(element) or _is_skipped(element)))


def parse_html(html: str) -> tuple[Any, bool]:
    """The element tree of a page, and whether it was nested too deep for libxml2 (then built by
    :class:`_BoundedTreeBuilder`). ``huge_tree`` lets libxml2 build 2048 levels instead of 256.

    Raises ParserError or ValueError for what is no document at all.
    """
    parser = lxml.html.HTMLParser(huge_tree=True)
    tree = lxml.html.document_fromstring(html, parser=parser)
    if not any(error.type == ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log):
        return tree, False
    bounded = lxml.etree.fromstring(html, lxml.etree.HTMLParser(target=_BoundedTreeBuilder(), huge_tree=True))
    if bounded is None:
        raise ParserError("Document is empty")
    return bounded, True


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

    # ----- raw sources -------------------------------------------------------------------

    def _first(self, xpath: str) -> Any | None:
        """The first node ``xpath`` finds. Whole-page searches are written as
        ``/descendant::x[test][1]`` where they can: libxml2 then stops at the first match, where
        ``//x[test]`` tests every element of the page (the cost of a page is mostly such scans)."""
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
                data = read_json(script.text or "")
            except ValueError:  # invalid, or nested too deep (see MAX_JSON_DEPTH)
                self.events.append("jsonld_invalid")
                continue
            candidates = data.get("@graph", [data]) if isinstance(data, dict) else data
            if not isinstance(candidates, list):
                continue
            for candidate in candidates:
                if isinstance(candidate, dict) and _is_article_type(candidate.get("@type")):
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
                    value = read_json(text, brace)
                except ValueError:  # invalid, or nested too deep (see MAX_JSON_DEPTH)
                    self.events.append("state_invalid")
                    continue
                if isinstance(value, dict):
                    self.events.append("state/" + ("app" if "APP" in marker else "apollo"))
                    return value
        return {}

    def _resolve(self, value: Any) -> Any:
        """Follow an Apollo ``{"__ref": "Type:id"}`` reference (one step: no chain, no loop)."""
        if isinstance(value, dict) and set(value) == {"__ref"}:
            ref = value["__ref"]
            return self.state.get(ref, {}) if isinstance(ref, str) else {}
        return value

    # ----- typed reads of JSON: what the record promises, or nothing and an event ----------

    def _bad(self, kind: str, name: str) -> None:
        self.events.append(f"{kind}/{name}")

    def _json_text(self, name: str, value: Any) -> str:
        """A JSON string, as it is; "" for null. A number, object, array or bool where text belongs
        is no text (str() of it would give a title "inf" or "{'x': 1}"): "" and ``bad_type/<name>``."""
        if isinstance(value, str):
            return value
        if value is not None:
            self._bad("bad_type", name)
        return ""

    def _json_list(self, name: str, value: Any) -> list[Any]:
        """A JSON array; an object alone counts as an array of one; [] for null, [] and
        ``bad_type/<name>`` for anything else."""
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
        if value is not None:
            self._bad("bad_type", name)
        return []

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
            entity_id = entity.get("id")
            if is_article and (wanted is None or (_is_json_int(entity_id) and entity_id == wanted)):
                return entity
        return {}

    @cached_property
    def layout(self) -> str:
        """``current`` (2023-2026 React app), ``legacy`` (before mid-2023) or ``unknown``."""
        if self._legacy_body is not None:
            return "legacy"
        if self.tree.xpath("//article//header//h1") or self._rich_text is not None:
            return "current"
        return "unknown"

    @cached_property
    def _rich_text(self) -> Any | None:
        return self._first(f'/descendant::div[@data-tracking-name="{_RICH_TEXT}" or {_has_class(_RICH_TEXT)}][1]')

    @cached_property
    def _legacy_body(self) -> Any | None:
        return self._first(f"/descendant::div[{_has_class(_LEGACY_TEXT)}][1]")

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
        kicker = self._first('//article/descendant::*[@data-tracking-name="content-detail-kicker"][1]')
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
        """The page's canonical link (``link[rel=canonical]``, else ``og:url``) without tracking.

        A page's own canonical link is data: one that is no absolute http(s) URL is no canonical
        URL (``bad_url/canonical``). Where it points is judged by :attr:`on_site_canonical`.
        """
        for found in (self._first('/descendant::link[@rel="canonical"][1]/@href'), self._meta("og:url")):
            link = str(found or "").strip()
            if link and urls.usable_url(link):
                return urls.strip_tracking(link)
            if link:
                self._bad("bad_url", "canonical")
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
        self._bad("bad_url", "url")
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
        """The short id the page itself shows (copy button, state permalink, legacy Permalink)."""
        sources: list[Callable[[], str]] = [
            lambda: self.tree.xpath('string(//article/descendant::*[contains(@class, "copy-button-wrapper")][1])'),
            lambda: self._json_text("page_short_id", self.state_article.get("permaLinkUrl")),
            lambda: self._legacy_value("permalink") or "",
        ]
        for source in sources:  # in order, no further than needed
            found = urls.short_id_from_text(source())
            if found:
                return found
        return None

    @cached_property
    def content_id(self) -> int | None:
        """The content id: from the URL, else the canonical URL, the state, the page's short link."""

        def from_state() -> int | None:
            value = self.state_article.get("id")
            if isinstance(value, bool) or not isinstance(value, int):  # JSON has no bool ids
                if value is not None:
                    self._bad("bad_type", "content_id")
                return None
            if not urls.valid_content_id(value):
                self._bad("bad_value", "content_id")
                return None
            return value

        value = self._pick(
            "content_id",
            ("url", lambda: self.path_content_id),
            ("canonical", lambda: urls.article_id(self.on_site_canonical or "")),
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
            parsed = urls.parse_path(self.on_site_canonical or self.url)
            return parsed.language if parsed else None

        value = self._pick(
            "language",
            ("html_lang", lambda: str(self.tree.get("lang") or "")[:2].lower()),
            ("state", lambda: STATE_LANGUAGES.get(self._json_text("language", self.state_article.get("language")), "")),
            ("meta", lambda: (self._meta("language") or "")[:2].lower()),
            ("url", from_url),
        )
        return str(value) if value else None

    @cached_property
    def title(self) -> str | None:
        value = self._pick(
            "title",
            ("jsonld", lambda: collapse_whitespace(self._json_text("title", self.jsonld.get("headline")))),
            ("state", lambda: collapse_whitespace(self._json_text("title", self.state_article.get("title")))),
            ("dom", lambda: collapse_whitespace(self.tree.xpath("string(//article//header//h1)"))),
            ("legacy", lambda: collapse_whitespace(self.tree.xpath('string(//div[@id="bodyContent"]//h1)'))),
            ("meta", lambda: collapse_whitespace(_TITLE_SUFFIX_RE.sub("", self._meta("og:title") or ""))),
        )
        return str(value) if value else None

    @cached_property
    def teaser(self) -> str | None:
        value = self._pick(
            "teaser",
            ("jsonld", lambda: collapse_whitespace(self._json_text("teaser", self.jsonld.get("description")))),
            ("state", lambda: collapse_whitespace(self._json_text("teaser", self.state_article.get("teaser")))),
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
            try:  # as lxml's fragment_fromstring, with the page's own parse rules (depth bound)
                tree, too_deep = parse_html(f"<html><body>{state_html}</body></html>")
            except (ParserError, ValueError):
                self.events.append("state_text_invalid")
            else:
                if too_deep:
                    self.events.append("html_too_deep")
                fragment = tree.find("body")
                if fragment is not None:
                    candidates.append(("state", fragment, False))
                else:
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

    def _image_texts(self, container: Any) -> frozenset[str]:
        """Alt texts, captions and credits of the page's images (and of the body's own HTML)."""
        texts: list[str] = []
        for tree in (self.tree, container) if container is not None else (self.tree,):
            texts += [str(alt) for alt in tree.xpath(".//img/@alt")]
            texts += [_text_of(caption) for caption in tree.xpath(".//figcaption")]
        for image in self.images:
            texts += [image.caption or "", image.credit or ""]
        return frozenset(key for key in (image_text_key(text) for text in texts) if len(key) >= 6)

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
            ("state", lambda: collapse_whitespace(self._json_text("category", name))),
            ("kicker", lambda: self.kicker[0] if self.kicker else None),
            ("legacy", lambda: collapse_whitespace(self.tree.xpath('string(//h4[contains(@class, "artikel")])'))),
        )
        return str(value) if value else None

    @cached_property
    def category_id(self) -> str | None:
        """DW's category id (``originId``; 19990022 is politics) when the page embeds it."""
        ids = self.category_ids
        value = self._pick("category_id", ("state", lambda: ids[0] if ids else None))
        return str(value) if value else None

    @cached_property
    def category_ids(self) -> list[str]:
        """Every category id of the state's ``Article.categories``: JSON strings (DW writes ids as
        strings), never str() of a number or an object."""
        categories = self._json_list("category_id", self.state_article.get("categories"))
        ids = [self._json_text("category_id", c.get("originId")).strip() for c in categories if isinstance(c, dict)]
        return [category_id for category_id in ids if category_id]

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
        return dedupe(
            [
                collapse_whitespace(self._json_text("authors", a.get("name")))
                for a in self._json_list("authors", self.jsonld.get("author"))
                if isinstance(a, dict) and a.get("@type", "Person") == "Person"
            ]
        )

    def _state_authors(self) -> list[str]:
        names = []
        for ref in self._json_list("authors", self.state_article.get("persons")):
            person = self._resolve(ref)
            if isinstance(person, dict):
                names.append(collapse_whitespace(self._json_text("authors", person.get("fullName"))))
        return dedupe([name for name in names if name])

    def _dom_authors(self) -> list[str]:
        details = self._first('//article/descendant::*[contains(@class, "author-details")][1]')
        if details is None:
            return []
        nodes = details.xpath(f'.//a[contains(@class, "author-link")] | .//*[{_has_class("author")}]')
        return dedupe([collapse_whitespace(n.text_content()) for n in nodes])

    @cached_property
    def published(self) -> str | None:
        value = self._pick(
            "published",
            ("jsonld", lambda: iso_utc(self._json_text("published", self.jsonld.get("datePublished")))),
            ("state", lambda: iso_utc(self._json_text("published", self.state_article.get("firstPublicationDate")))),
            ("meta", lambda: iso_utc(self._meta("article:published_time", "date", "dcterms.date") or "")),
            ("legacy", lambda: iso_utc(self._legacy_value("date") or "")),
            ("text", lambda: self._visible_date()),
        )
        return str(value) if value else None

    @cached_property
    def modified(self) -> str | None:
        value = self._pick(
            "modified",
            ("jsonld", lambda: iso_utc(self._json_text("modified", self.jsonld.get("dateModified")))),
            ("state", lambda: iso_utc(self._json_text("modified", self.state_article.get("lastModifiedDate")))),
            ("meta", lambda: iso_utc(self._meta("article:modified_time", "last-modified") or "")),
        )
        return str(value) if value else None

    def _visible_date(self) -> str | None:
        """The date as readers see it ("14 Septemba 2023"); DW's ``<time>`` has no datetime."""
        area = self._first('/descendant::*[contains(@class, "time-area")][1]')
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
        lead = self._first(f"//article/descendant::figure[not(ancestor::*[{_has_class(_RICH_TEXT)}])][1]")
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
        unique = []
        for image in images:
            if not urls.usable_url(image.url):  # a javascript: or relative data-url, a lost character
                self._bad("bad_url", "images")
            elif image.url not in seen:
                seen.add(image.url)
                unique.append(image)
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
            try:
                url = urljoin(STATIC_IMAGE_BASE, src)
            except ValueError:  # e.g. "http://[::1/x.jpg": no URL at all
                self._bad("bad_url", "images")
                continue
            caption = collapse_whitespace(box.xpath("string(./p)")) or None
            images.append(Image(url=url, caption=caption, credit=None))
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
        body.image_texts = self._image_texts(self._body_container)  # after the images (they need the body)
        editors = body.editors
        return {
            "short_id": short_id,
            "short_url": urls.short_url(short_id) if short_id else None,  # base 62: always https
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
            "editors": list(editors),
            "agencies": list(body.agencies),
            "published": self.published,
            "modified": self.modified,
            "images": [image.as_dict() for image in self.images],
            "word_count": word_count(body.text),
        }
