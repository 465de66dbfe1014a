"""Reading a page's markup and its embedded JSON: the machinery every source of an article shares.

Nothing here recurses over a tree or a JSON value: every walk keeps a stack of its own, so a hostile
page costs its size, never the interpreter's stack. No field is read here; of DW's markup this knows
only what body text needs: the body containers, and the ads, embeds and figures that are no body text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import lxml.etree
import lxml.html
from lxml.etree import ErrorTypes, ParserError

from dwnews.core.text import CleanText, collapse_whitespace, is_read_more, pop_credit_lines

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

# Elements whose text is never body text: media, embeds, ads, widgets.
# fmt: off
_SKIP_TAGS = frozenset({
    "figure", "figcaption", "blockquote", "script", "style", "noscript", "aside", "iframe", "svg", "button",
    "picture", "img", "video", "audio", "form",
})
_SKIP_CLASSES = frozenset({
    "rich-text-ad", "advertisement", "picBox", "gallery", "embed", "tweet", "sharing-bar", "copyright",
    "placeholder-image",
})
# fmt: on
_BLOCK_TAGS = frozenset({"p", "h2", "h3", "h4", "li"})
_HEADING_TAGS = frozenset({"h2", "h3", "h4"})
_LEGACY_BLOCKS = "./p | ./h2 | ./h3 | ./ul/li | ./ol/li"
# The body containers of every layout DW has used (the current ``div.rich-text``, the legacy
# ``div.longText``): the bounded tree builder never unwraps one, whichever layouts are read.
RICH_TEXT = "rich-text"  # the current layout's body: its class or data-tracking-name
LONG_TEXT = "longText"  # the legacy layout's body: its class


@dataclass
class Body(CleanText):
    """The article text as paragraphs (with the credit lines moved out), and its subheadings.

    ``image_texts``: every image alt text, caption and credit of the page (and of the body's own
    HTML), as :func:`dwnews.core.text.image_text_key` compares them: a body paragraph that repeats one
    is the image's text, not the article's (the cleaning drops it as ``image_text``).
    """

    subheadings: list[str] = field(default_factory=list)
    image_texts: frozenset[str] = frozenset()


def has_class(name: str) -> str:
    """XPath test for one class among several (``contains(@class)`` would also match ``author-link``)."""
    return f'contains(concat(" ", normalize-space(@class), " "), " {name} ")'


def first(node: Any, xpath: str) -> Any | None:
    """The first node ``xpath`` finds from ``node``, or None. Whole-page searches are written as
    ``/descendant::x[test][1]`` where they can: libxml2 then stops at the first match, where
    ``//x[test]`` tests every element of the page (the cost of a page is mostly such scans)."""
    found = node.xpath(xpath)
    return found[0] if found else None


def _classes(element: Any) -> set[str]:
    return set((element.get("class") or "").split())


def _is_skipped(element: Any) -> bool:
    return element.tag in _SKIP_TAGS or bool(_classes(element) & _SKIP_CLASSES)


def _is_body_container(element: Any) -> bool:
    """The element that holds an article's text, in either layout (``div.rich-text``, ``div.longText``)."""
    return element.get("data-tracking-name") == RICH_TEXT or bool(_classes(element) & {RICH_TEXT, LONG_TEXT})


def text_of(element: Any) -> str:
    """Visible text of an element without the text of skipped children (ads, figures, embeds)."""
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
    """The blocks of a body container in document order (see :func:`extract_body`)."""
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
    or ads. Legacy bodies hold video teasers, galleries (a nested ``div.longText``) and newsletter
    boxes in nested divs between the paragraphs: there the article's text is the direct children.
    """
    body = Body([])
    blocks: list[tuple[str, str]] = []
    elements = container.xpath(_LEGACY_BLOCKS) if legacy else _body_blocks(container)
    for element in elements:
        text = text_of(element)
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


def walk_dicts(value: Any) -> Iterator[dict[str, Any]]:
    """Every object in a JSON value, depth first in document order."""
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
    """True when a JSON value has objects or arrays nested more than ``limit`` deep (level by level)."""
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
    """The JSON value of ``text`` (or the one starting at ``start``, with anything after it); a
    value nested deeper than MAX_JSON_DEPTH raises ValueError, as invalid JSON does."""
    try:
        value = _JSON.decode(text) if start is None else _JSON.raw_decode(text, start)[0]
    except RecursionError:
        raise ValueError("JSON nested too deep for the decoder") from None
    if _nested_deeper_than(value, MAX_JSON_DEPTH):
        raise ValueError(f"JSON nested more than {MAX_JSON_DEPTH} deep")
    return value


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
    :class:`_BoundedTreeBuilder`); ParserError or ValueError for what is no document at all."""
    parser = lxml.html.HTMLParser(huge_tree=True)
    tree = lxml.html.document_fromstring(html, parser=parser)
    if not any(error.type == ErrorTypes.ERR_RESOURCE_LIMIT for error in parser.error_log):
        return tree, False
    bounded = lxml.etree.fromstring(html, lxml.etree.HTMLParser(target=_BoundedTreeBuilder(), huge_tree=True))
    if bounded is None:
        raise ParserError("Document is empty")
    return bounded, True
