"""Bad bytes, big numbers, deep trees: real article pages of the mirror with one attack put in.

Each test takes a saved DW page (``tests/site/``: real markup), changes it the way a broken CMS,
a proxy or an attacker could (one invalid byte, JSON nested 100,000 deep, 5,000 nested ``<div>``,
a number where text belongs, a ``javascript:`` URL, a canonical link to elsewhere) and checks that
the page object still gives the article: the attacked field empty or right, every other field as
in the page's ``.expected.json``, and an event the spider counts (``dwnews/article/<event>``).
In-process, no network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dwnews.core.encoding import UTF8_WITH_INVALID_BYTES, decode_html
from dwnews.core.record import FIELD_NAMES
from dwnews.core.text import clean_record
from dwnews.pages.article import MAX_JSON_DEPTH, ArticlePage
from tests.helpers import SITE

EXPECTED = sorted(SITE.glob("*/a-*.expected.json"))
COMPARED_FIELDS = [name for name in FIELD_NAMES if name != "crawled_at"]
SEED = "sw/a-66808855"  # current layout: JSON-LD + __APOLLO_STATE__, body from the state
APP_STATE_PAGE = "sw/a-68700001"  # current layout with __APP_STATE__; typographic quotes, one author
PAGE_2026 = "sw/a-68800002"  # no JSON-LD, no state: every field from the DOM; “…” quotes
PAGE_2026_IMAGE = "sw/a-77400001"


def _page(name: str) -> tuple[str, str, dict[str, Any]]:
    """URL (as a crawl fetches it), HTML and expected record of a mirror article, e.g. ``sw/a-66808855``."""
    language, stem = name.split("/")
    html = (SITE / f"{name}.html").read_text("utf-8")
    expected = json.loads((SITE / f"{name}.expected.json").read_text("utf-8"))
    return f"https://www.dw.com/{language}/slug/{stem}?maca=test", html, expected


def _cleaned(page: ArticlePage) -> dict[str, Any]:
    record, _ = clean_record(page.record(), parts=page.body)  # as the pipeline gets it
    return record


def _differing(record: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    return [name for name in COMPARED_FIELDS if record[name] != expected[name]]


def _once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"{old[:60]!r} is not in the page exactly once"
    return text.replace(old, new)


def _once_bytes(data: bytes, old: bytes, new: bytes) -> bytes:
    assert data.count(old) == 1, f"{old[:60]!r} is not in the page exactly once"
    return data.replace(old, new)


def _nested_array(levels: int) -> str:
    return "[" * levels + "]" * levels


# ----- 1. bytes: one invalid byte must not make a UTF-8 page cp1252 ------------------------------


def test_one_invalid_byte_in_a_comment_leaves_the_page_utf8() -> None:
    """Before: the whole page read as latin-1, every “ in the body became â\\x80\\x9c."""
    url, html, expected = _page(APP_STATE_PAGE)
    data = _once_bytes(html.encode("utf-8"), b"<head>", b"<head><!-- \xff -->")
    text, what = decode_html(data, "utf-8")
    assert what == UTF8_WITH_INVALID_BYTES
    assert text == html.replace("<head>", "<head><!-- \ufffd -->", 1)
    page = ArticlePage(url, text)
    raw_body = page.record()["body"]
    assert "“Tumepiga hatua" in raw_body
    assert "\ufffd" not in raw_body and "â\x80" not in raw_body  # the comment's U+FFFD is no body text
    assert _differing(_cleaned(page), expected) == []


def test_an_invalid_byte_in_article_text_is_one_replacement_character() -> None:
    url, html, expected = _page(PAGE_2026)
    data = _once_bytes(html.encode("utf-8"), b"Mazungumzo hayo", b"Mazungu\xffzo hayo")
    text, what = decode_html(data, "utf-8")
    assert what == UTF8_WITH_INVALID_BYTES
    record = _cleaned(ArticlePage(url, text))
    # the lost character shows as U+FFFD where it was; all else, the “…” quotes too, as expected
    assert record["body"] == _once(expected["body"], "Mazungumzo hayo", "Mazungu\ufffdzo hayo")
    assert _differing(record, expected) == ["body"]


def test_a_cp1252_page_labelled_utf8_is_still_read_as_cp1252() -> None:
    """Its accented letters are lone high bytes (invalid UTF-8): the fallback stays. Two bytes that
    happen to be valid UTF-8 ("Ã©", C3 A9) do not outvote the page's many invalid ones."""
    _, html, _ = _page(PAGE_2026)
    html = _once(html, "Mazungumzo hayo", "Mazungumzo Ã© hayo")
    text, what = decode_html(html.encode("cp1252"), "utf-8")
    assert what == "cp1252_labelled_utf8"
    assert text == html


# ----- 2. JSON nested deeper than anything DW writes: skipped, the page falls back -------------


@pytest.mark.parametrize("levels", [100_000, MAX_JSON_DEPTH], ids=["100000-deep", "one-level-too-deep"])
def test_deep_jsonld_is_skipped_like_invalid_json(levels: int) -> None:
    """Before (100,000 deep): RecursionError, the article lost. Now the blob is skipped and the
    state gives what the JSON-LD would have."""
    url, html, expected = _page(SEED)
    # the value of "x" at depth 2: the object is 1 + levels deep
    deep = _once(html, '"@type":"NewsArticle",', f'"@type":"NewsArticle","x":{_nested_array(levels)},')
    page = ArticlePage(url, deep)
    record = _cleaned(page)
    assert "jsonld_invalid" in page.events and page.jsonld == {}
    assert {"source/title/state", "source/body/state"} <= set(page.events)
    assert _differing(record, expected) == []


def test_jsonld_as_deep_as_the_bound_is_read() -> None:
    url, html, expected = _page(SEED)
    deep = _once(html, '"@type":"NewsArticle",', f'"@type":"NewsArticle","x":{_nested_array(MAX_JSON_DEPTH - 1)},')
    page = ArticlePage(url, deep)
    assert page.jsonld["headline"] == expected["title"] and "jsonld_invalid" not in page.events


@pytest.mark.parametrize(
    ("name", "marker"),
    [(SEED, "window.__APOLLO_STATE__={"), (APP_STATE_PAGE, "window.__APP_STATE__ = {")],
    ids=["apollo", "app"],
)
@pytest.mark.parametrize("levels", [100_000, MAX_JSON_DEPTH], ids=["100000-deep", "one-level-too-deep"])
def test_deep_state_is_skipped_and_the_dom_gives_the_body(name: str, marker: str, levels: int) -> None:
    """Before (100,000 deep): RecursionError, the article lost."""
    url, html, expected = _page(name)
    page = ArticlePage(url, _once(html, marker, f'{marker}"x":{_nested_array(levels)},'))
    record = _cleaned(page)
    assert "state_invalid" in page.events and page.state == {}
    assert "source/body/dom" in page.events
    assert record["body"] == expected["body"] and record["title"] == expected["title"]


def test_state_as_deep_as_the_bound_is_read() -> None:
    url, html, expected = _page(SEED)
    marker = "window.__APOLLO_STATE__={"
    page = ArticlePage(url, _once(html, marker, f'{marker}"x":{_nested_array(MAX_JSON_DEPTH - 1)},'))
    assert _differing(_cleaned(page), expected) == []
    assert "state_invalid" not in page.events and "source/body/state" in page.events


# ----- 3. HTML nested deeper than libxml2 builds: the body is still read ------------------------


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
@pytest.mark.parametrize("where", ["closed-before-the-page", "around-the-page"])
def test_5000_nested_divs_before_or_around_the_article_change_nothing(expected_file: Path, where: str) -> None:
    """Before: libxml2 stopped at 256 levels and dropped the rest of the page: no body (and no
    title where only the DOM had one). Now the page is built at most 256 deep, the empty wrappers
    unwrapped, and every field is as expected."""
    name = f"{expected_file.parent.name}/{expected_file.name.split('.')[0]}"
    url, html, expected = _page(name)
    body_tag = re.search(r"<body[^>]*>", html)
    assert body_tag is not None
    wrappers = "<div>" * 5000 + ("</div>" * 5000 if where == "closed-before-the-page" else "")
    page = ArticlePage(url, html[: body_tag.end()] + wrappers + html[body_tag.end() :])
    assert "html_too_deep" in page.events
    assert _differing(_cleaned(page), expected) == []


def _first_paragraph(html: str) -> re.Match[str]:
    """The first ``<p>`` inside the 2026 page's rich-text body."""
    start = html.index('data-tracking-name="rich-text"')
    found = re.compile(r"<p>.*?</p>", re.S).search(html, start)
    assert found is not None
    return found


@pytest.mark.parametrize("levels", [1500, 5000], ids=["within-huge-tree", "beyond-huge-tree"])
def test_a_paragraph_inside_thousands_of_divs_in_the_body_is_read(levels: int) -> None:
    """1500: libxml2 builds it (``huge_tree``); before, 1500 levels stopped the parse. 5000: built
    by the bounded builder. Either way the paragraph is a body block, read without recursion."""
    url, html, expected = _page(PAGE_2026)
    paragraph = _first_paragraph(html)
    deep = html[: paragraph.start()] + "<div>" * levels + paragraph.group() + "</div>" * levels
    page = ArticlePage(url, deep + html[paragraph.end() :])
    assert ("html_too_deep" in page.events) == (levels > 2048)
    assert _differing(_cleaned(page), expected) == []


@pytest.mark.parametrize("levels", [1500, 5000], ids=["within-huge-tree", "beyond-huge-tree"])
def test_text_inside_thousands_of_nested_spans_in_a_paragraph_is_read(levels: int) -> None:
    """Before: the parse stopped at 256 levels, the body was empty; with ``huge_tree`` alone the
    recursive text walk would have raised RecursionError at 1500 levels."""
    url, html, expected = _page(PAGE_2026)
    paragraph = _first_paragraph(html)
    inner = paragraph.group()[len("<p>") : -len("</p>")]
    deep = "<p>" + "<span>" * levels + inner + "</span>" * levels + "</p>"
    page = ArticlePage(url, html[: paragraph.start()] + deep + html[paragraph.end() :])
    assert _differing(_cleaned(page), expected) == []


def test_the_state_body_html_nested_5000_deep_is_read() -> None:
    """The state's ``Article.text`` is parsed with the page's rules: deep, it still gives the body."""
    url, html, expected = _page(SEED)
    state_text = re.search(r'"text":"(\\u003cp>.*?\\u003c/p>)', html)
    assert state_text is not None
    first = state_text.group(1)
    deep = "\\u003cdiv>" * 5000 + first + "\\u003c/div>" * 5000
    page = ArticlePage(url, _once(html, first, deep))
    assert _differing(_cleaned(page), expected) == []
    assert "source/body/state" in page.events and "html_too_deep" in page.events


# ----- 4. numbers and types at the edge: the type the record promises, or nothing --------------


def test_a_huge_number_as_headline_is_no_title() -> None:
    """Before: title "inf". Now each bad value is counted as bad_type/title and the title comes
    from the next source: the state's, then (the state's an object too) the page's h1."""
    url, html, expected = _page(SEED)
    broken = _once(html, f'"headline":"{expected["title"]}"', '"headline":1e999999')
    page = ArticlePage(url, broken)
    assert page.record()["title"] == expected["title"] and "source/title/state" in page.events
    broken = _once(broken, f'"title":"{expected["title"]}"', '"title":{"x":1}')
    page = ArticlePage(url, broken)
    assert page.record()["title"] == expected["title"] and "source/title/dom" in page.events
    assert page.events.count("bad_type/title") == 2


def test_an_object_as_author_name_is_no_author() -> None:
    """Before: authors ["{'x': 1}"]. Now the state's person gives the name."""
    url, html, expected = _page(APP_STATE_PAGE)
    page = ArticlePage(url, _once(html, '"name":"Salma Mkalibala"', '"name":{"x":1}'))
    record = _cleaned(page)
    assert record["authors"] == expected["authors"] == ["Salma Mkalibala"]
    assert "bad_type/authors" in page.events and "source/authors/state" in page.events
    assert _differing(record, expected) == []


def test_a_number_as_the_persons_list_is_counted_not_raised() -> None:
    """Before: TypeError ('int' object is not iterable): the article lost."""
    url, html, expected = _page(APP_STATE_PAGE)
    broken = _once(html, '"name":"Salma Mkalibala"', '"name":null')
    broken = _once(broken, '"persons":[{"__ref":"Person:51417817"}]', '"persons":7')
    page = ArticlePage(url, broken)
    record = _cleaned(page)
    assert "bad_type/authors" in page.events
    assert record["authors"] == expected["authors"]  # from the byline in the DOM
    assert record["body"] == expected["body"]


def test_a_huge_number_as_category_id_is_no_category_id() -> None:
    """Before: category_id "inf", and the article judged not politics."""
    url, html, _ = _page(SEED)
    page = ArticlePage(url, _once(html, '"originId":"19990022"', '"originId":1e999999'))
    record = page.record()
    assert record["category_id"] is None and "bad_type/category_id" in page.events
    assert page.is_politics()  # by the kicker text "Siasa" now, as for pages without the id


@pytest.mark.parametrize(
    ("state_id", "event"),
    [
        ("true", "bad_type/content_id"),  # before: content id 1, short id "1"
        ("1e999999", "bad_type/content_id"),
        ('"66808855"', "bad_type/content_id"),
        ("-5", "bad_value/content_id"),  # before: ValueError from the short id: the article lost
        ("9007199254740992", "bad_value/content_id"),  # 2**53: before, exported as it is
        ("9" * 5000, "bad_type/content_id"),  # before: the whole state invalid (int() refuses it)
    ],
    ids=["true", "1e999999", "string", "negative", "2**53", "5000-digits"],
)
def test_a_state_content_id_of_the_wrong_type_or_range_is_not_the_id(state_id: str, event: str) -> None:
    """A page fetched under a URL without id, without canonical link: the state's id would be the
    id. A bad one is counted and the next source (the page's short link p/4WK2B) gives it."""
    _, html, expected = _page(SEED)
    no_canonical = re.sub(r'<link[^>]*rel="canonical"[^>]*>|<meta[^>]*property="og:url"[^>]*>', "", html)
    page = ArticlePage("https://www.dw.com/sw/habari", _once(no_canonical, '"id":66808855', f'"id":{state_id}'))
    record = page.record()
    assert event in page.events and "state_invalid" not in page.events
    assert record["content_id"] == expected["content_id"] and "source/content_id/short_link" in page.events
    assert record["short_id"] == expected["short_id"]


def test_a_javascript_image_url_is_dropped() -> None:
    """Before: images[1].url "javascript:alert(1)//6"."""
    url, html, expected = _page(PAGE_2026_IMAGE)
    image = expected["images"][1]["url"].replace("_6.jpg", "_${formatId}.jpg")
    page = ArticlePage(url, _once(html, f'data-url="{image}"', 'data-url="javascript:alert(1)//${formatId}"'))
    record = _cleaned(page)
    assert all(img["url"].startswith("https://") for img in record["images"])
    assert record["images"] == expected["images"][:1]
    assert "bad_url/images" in page.events
    assert _differing(record, expected) == ["images"]


@pytest.mark.parametrize(
    "src",
    ["javascript:alert(1)", "http://[::1/x.jpg"],
    ids=["javascript", "unbalanced-bracket"],
)
def test_an_unusable_legacy_image_src_is_dropped(src: str) -> None:
    """Legacy layout (``div.picBox img[src]``). Before: "javascript:alert(1)" exported as the
    image URL; the unbalanced bracket raised ValueError in urljoin: the article lost."""
    url, html, expected = _page("sw/a-65400001")
    page = ArticlePage(url, _once(html, f'src="{expected["images"][0]["url"]}"', f'src="{src}"'))
    record = _cleaned(page)
    assert record["images"] == expected["images"][1:] and "bad_url/images" in page.events
    assert _differing(record, expected) == ["images"]


# ----- 5. the canonical link: the record's url only when it names this article on DW -------------


def _set_canonical(html: str, url: str) -> str:
    """The page with its ``link[rel=canonical]`` and ``og:url`` set to ``url``."""

    def edit(pattern: str, attribute: str, page: str) -> str:
        tags = re.findall(pattern, page)
        assert len(tags) == 1, pattern
        changed = re.sub(f'{attribute}="[^"]*"', lambda _: f'{attribute}="{url}"', tags[0])
        return page.replace(tags[0], changed)

    html = edit(r'<link[^>]*rel="canonical"[^>]*>', "href", html)
    return edit(r'<meta[^>]*"og:url"[^>]*>', "content" if 'property="og:url"' in html else "value", html)


@pytest.mark.parametrize(
    "canonical",
    [
        "https://example.org/sw/rais-putin-akubali-mwaliko-wa-kim-jong-un/a-66808855",  # another site
        "https://www.dw.com/sw/tshisekedi-amteua-judith-suminwa-kuwa-waziri-mkuu/a-68700002",  # another article
        "https://www.dw.com/sw/idhaa-ya-kiswahili/s-11588",  # no article
    ],
    ids=["other-site", "other-article", "not-an-article"],
)
def test_a_canonical_link_elsewhere_is_not_the_records_url(canonical: str) -> None:
    """Before: the record's url was the canonical link, wherever it pointed."""
    _, html, expected = _page(SEED)
    fetched = "http://127.0.0.1:8000/sw/rais-putin/a-66808855?maca=sw-newsletter"
    page = ArticlePage(fetched, _set_canonical(html, canonical))
    record = page.record()
    assert record["url"] == "http://127.0.0.1:8000/sw/rais-putin/a-66808855"
    assert "canonical_elsewhere" in page.events
    assert record["content_id"] == expected["content_id"] and "source/content_id/url" in page.events


@pytest.mark.parametrize(
    ("canonical", "fetched"),
    [
        ("https://www.dw.com/sw/rais/a-66808855", "http://127.0.0.1:8000/sw/x/a-66808855"),  # DW, from a mirror
        ("https://m.dw.com/sw/rais/a-66808855?maca=x", "https://www.dw.com/sw/x/a-66808855"),  # another DW host
        ("http://127.0.0.1:8000/sw/rais/a-66808855", "http://127.0.0.1:8000/sw/x/a-66808855"),  # the mirror's own
    ],
    ids=["dw-from-mirror", "dw-mobile-host", "same-host"],
)
def test_a_canonical_link_naming_this_article_on_dw_is_the_records_url(canonical: str, fetched: str) -> None:
    _, html, _ = _page(SEED)
    page = ArticlePage(fetched, _set_canonical(html, canonical))
    assert page.record()["url"] == canonical.split("?")[0]
    assert "canonical_elsewhere" not in page.events


def test_a_canonical_link_elsewhere_never_gives_the_content_id() -> None:
    """Fetched under a URL without id: the foreign canonical's a-68700002 is not taken; the state's
    id (this article's) is."""
    _, html, expected = _page(SEED)
    page = ArticlePage("https://www.dw.com/sw/habari", _set_canonical(html, "https://example.org/sw/x/a-68700002"))
    record = page.record()
    assert record["content_id"] == expected["content_id"] and "source/content_id/state" in page.events
    assert record["url"] == "https://www.dw.com/sw/habari" and "canonical_elsewhere" in page.events


def test_a_javascript_canonical_link_is_counted_and_the_fetched_url_used() -> None:
    _, html, _ = _page(SEED)
    page = ArticlePage("https://www.dw.com/sw/x/a-66808855?maca=y", _set_canonical(html, "javascript:alert(1)"))
    record = page.record()
    assert record["url"] == "https://www.dw.com/sw/x/a-66808855"
    assert page.events.count("bad_url/canonical") == 2  # link and og:url
    assert record["short_url"] == "https://p.dw.com/p/4WK2B"


def test_a_listing_page_nested_too_deep_keeps_its_links() -> None:
    from dwnews.pages.listing import ListingPage

    base = "http://127.0.0.1:8999"
    html = (SITE / "sw" / "s-11588.html").read_text("utf-8")
    deep = html.replace("<body>", "<body>" + "<div>" * 5000, 1)
    assert deep != html
    shallow_links = ListingPage(f"{base}/sw/x/s-11588", html, base).links()
    deep_links = ListingPage(f"{base}/sw/x/s-11588", deep, base).links()
    assert deep_links.articles == shallow_links.articles and deep_links.sections == shallow_links.sections
