"""One hostile entry costs only itself: the real pages of the mirror with one bad entry put in.

Each test takes a real page of ``tests/site/`` (sitemaps, the RDF feed, a /sw/ listing), puts ONE
hostile entry among the real ones and checks that the page object returns every real entry with
its dates, leaves out the hostile entry when its URL is unusable (counted in ``skipped``), and
keeps it with the date None when only its date is unusable. In-process, no network.
"""

from __future__ import annotations

import pytest

from dwnews.core import ids, urls
from dwnews.pages.feeds import Entry, FeedPage, SitemapPage
from dwnews.pages.listing import ListingPage
from tests.helpers import SITE

ARTICLE_SITEMAP = SITE / "sw" / "article-sitemap-2024.xml"
NEWS_SITEMAP = SITE / "sw" / "news-sitemap.xml"
SITEMAP_INDEX = SITE / "sitemap.xml"
RDF_FEED = SITE / "rdf" / "rss-kis-all"
LISTING = SITE / "sw" / "s-11588.html"
LISTING_URL = "https://www.dw.com/sw/idhaa-ya-kiswahili/s-11588"
BASE_URL = "https://www.dw.com"

SQLITE_INTEGER_MAX = 2**63 - 1
HOSTILE_URL = "https://www.dw.com/sw/hostile/a-68750000"  # a valid link, for entries whose date is bad

BAD_ID_LINKS = [
    "https://www.dw.com/sw/x/a-0",
    "https://www.dw.com/sw/x/a-9223372036854775808",  # 2**63: beyond SQLite's INTEGER
    "https://www.dw.com/sw/x/a-9007199254740992",  # 2**53: beyond what JSON readers hold exactly
    "https://www.dw.com/sw/x/a-" + "9" * 5000,  # int() refuses more than 4300 digits
]
BAD_DATES = [
    "9999-12-31T23:59:59-23:59",  # in UTC it is year 10000
    "0001-01-01T00:00:00+05:00",  # in UTC it is year 0
    "banana",
    "2024-13-45",
    "2024-02-30T10:00:00Z",
    "2024-03-27T16:02:37Z&#0;",  # a NUL: not to be read as the date around it
    "9" * 5000,
]
BAD_DATE_IDS = ["year-10000-in-utc", "year-0-in-utc", "banana", "month-13", "feb-30", "nul", "5000-digits"]


def _insert_after(data: bytes, marker: bytes, hostile: bytes, occurrence: int = 2) -> bytes:
    """``data`` with ``hostile`` put right after the ``occurrence``-th ``marker``: among real entries."""
    at = -1
    for _ in range(occurrence):
        at = data.index(marker, at + 1)
    at += len(marker)
    return data[:at] + hostile + data[at:]


def _url_entry(loc: str, lastmod: str = "2024-04-01T08:00:00Z") -> bytes:
    return f"\n  <url>\n    <loc>{loc}</loc>\n    <lastmod>{lastmod}</lastmod>\n  </url>".encode()


def _assert_crawlable(entries: list[Entry]) -> None:
    """What the crawler does with each entry's URL and id must not raise, and the id must fit SQLite."""
    for entry in entries:
        url = urls.strip_tracking(urls.rebase(entry.url, "http://127.0.0.1:8000"))
        content_id = urls.article_id(url, language="sw")
        if content_id is not None:
            assert 1 <= content_id <= SQLITE_INTEGER_MAX
            assert ids.short_id_to_content_id(ids.content_id_to_short_id(content_id)) == content_id
        assert entry.content_id is None or 1 <= entry.content_id <= ids.MAX_CONTENT_ID


# ----- the real pages, untouched ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sitemap_entries() -> list[Entry]:
    entries = SitemapPage(ARTICLE_SITEMAP.read_bytes()).entries()
    # the real page as it is: what every hostile variant must still give
    assert [(e.url.rsplit("/", 1)[1], e.modified) for e in entries] == [
        ("a-68700001", "2024-03-27T16:02:37Z"),
        ("a-68700002", "2024-04-02T06:15:00Z"),
        ("a-68800001", "2024-05-06T10:14:52Z"),
        ("a-68800002", "2024-05-07T12:05:00Z"),
    ]
    return entries


@pytest.fixture(scope="module")
def feed_entries() -> list[Entry]:
    entries = FeedPage(RDF_FEED.read_bytes()).entries()
    assert [(e.content_id, e.published, e.subject) for e in entries] == [
        (68700001, "2024-03-27T14:25:10Z", "Siasa"),
        (66808855, "2023-09-14T10:12:00Z", "Siasa"),
        (77400001, "2026-05-29T09:41:17Z", "Siasa"),
        (66900003, "2023-06-01T15:40:12Z", "Siasa"),
    ]
    return entries


@pytest.fixture(scope="module")
def listing_articles() -> dict[int, str]:
    links = ListingPage(LISTING_URL, LISTING.read_text(encoding="utf-8"), BASE_URL).links()
    assert sorted(links.articles) == [66808855, 66899999, 66900002, 68700001, 68700002, 77400001]
    assert "bad_id" not in links.skipped and "bad_url" not in links.skipped
    return links.articles


# ----- sitemaps -----------------------------------------------------------------------------------


@pytest.mark.parametrize("loc", BAD_ID_LINKS, ids=["id-0", "id-2**63", "id-2**53", "id-5000-digits"])
def test_sitemap_link_with_out_of_range_id_is_left_out(loc: str, sitemap_entries: list[Entry]) -> None:
    page = SitemapPage(_insert_after(ARTICLE_SITEMAP.read_bytes(), b"</url>", _url_entry(loc)))
    entries = page.entries()
    assert entries == sitemap_entries
    assert page.skipped == {"bad_id": 1}
    _assert_crawlable(entries)


@pytest.mark.parametrize(
    ("loc", "why"),
    [
        ("http://[::1/sw/x/a-68750000", "bad_url"),  # urlsplit: Invalid IPv6 URL
        ("https://www.dw.com:99999/sw/x/a-68750000", "bad_url"),  # a request: port out of range
        ("/sw/x/a-68750000", "bad_url"),  # a request: missing scheme
        ("javascript:alert(1)", "bad_url"),
        ("https://www.dw.com/sw/x/a-6875\x000000", "bad_url"),  # raw NUL: not the id a-68750000
        ("https://www.dw.com/sw/x/a-6875&#0;0000", "bad_url"),
        ("https://www.dw.com/sw/x/a-6875\x1b0000", "bad_url"),
        ("https://www.dw.com/sw/x/a-6875&#xD800;0000", "bad_url"),  # lxml's text of it did not decode
        ("", "no_url"),
    ],
    ids=["ipv6", "port", "relative", "javascript", "nul", "nul-ref", "esc", "surrogate-ref", "empty"],
)
def test_sitemap_link_that_cannot_be_requested_is_left_out(loc: str, why: str, sitemap_entries: list[Entry]) -> None:
    page = SitemapPage(_insert_after(ARTICLE_SITEMAP.read_bytes(), b"</url>", _url_entry(loc)))
    entries = page.entries()
    assert entries == sitemap_entries
    assert page.skipped == {why: 1}
    _assert_crawlable(entries)


@pytest.mark.parametrize("lastmod", BAD_DATES, ids=BAD_DATE_IDS)
def test_sitemap_lastmod_that_is_unusable_is_none(lastmod: str, sitemap_entries: list[Entry]) -> None:
    page = SitemapPage(_insert_after(ARTICLE_SITEMAP.read_bytes(), b"</url>", _url_entry(HOSTILE_URL, lastmod)))
    entries = page.entries()
    assert entries == [*sitemap_entries[:2], Entry(url=HOSTILE_URL, modified=None), *sitemap_entries[2:]]
    assert not page.skipped
    _assert_crawlable(entries)


@pytest.mark.parametrize("date", BAD_DATES, ids=BAD_DATE_IDS)
def test_news_sitemap_publication_date_that_is_unusable_is_none(date: str) -> None:
    real = NEWS_SITEMAP.read_bytes()
    before = SitemapPage(real).entries()
    assert [e.published for e in before] == ["2026-05-29T09:41:17Z", "2026-05-30T15:20:44Z"]
    entries = SitemapPage(real.replace(b"2026-05-29T09:41:17Z", date.encode())).entries()
    assert [e.url for e in entries] == [e.url for e in before]
    assert [e.published for e in entries] == [None, "2026-05-30T15:20:44Z"]


def test_sitemap_index_keeps_its_children_around_a_hostile_one() -> None:
    real = SITEMAP_INDEX.read_bytes()
    before = SitemapPage(real).entries()
    assert len(before) == 5 and {e.modified for e in before} == {"2026-05-30T16:00:00Z"}
    hostile = (
        b"\n  <sitemap><loc>http://[::1/sw/news-sitemap.xml</loc>"
        b"<lastmod>9999-12-31T23:59:59-23:59</lastmod></sitemap>"
        b"\n  <sitemap><loc>https://www.dw.com/sw/other-sitemap.xml</loc><lastmod>banana</lastmod></sitemap>"
    )
    page = SitemapPage(_insert_after(real, b"</sitemap>", hostile))
    entries = page.entries()
    assert page.is_index
    assert entries == [*before[:2], Entry(url="https://www.dw.com/sw/other-sitemap.xml"), *before[2:]]
    assert page.skipped == {"bad_url": 1}


def test_sitemap_with_a_broken_tag_name_keeps_its_entries(sitemap_entries: list[Entry]) -> None:
    """The recovering parser names broken markup "lo:9c"; lxml's QName raised on it (the page was lost)."""
    hostile = b"\n  <url><lo:9c>x</lo:9c><loc>https://www.dw.com/sw/x/a-68750000</loc></url>"
    entries = SitemapPage(_insert_after(ARTICLE_SITEMAP.read_bytes(), b"</url>", hostile)).entries()
    assert entries == [*sitemap_entries[:2], Entry(url=HOSTILE_URL.replace("hostile", "x")), *sitemap_entries[2:]]


# ----- the RSS/RDF feed ---------------------------------------------------------------------------


def _rdf_item(link: str, date: str = "2024-04-01T08:00:00Z", content_id: str = "68750000") -> bytes:
    return (
        f'\n  <item rdf:about="{link}">\n    <title>Hostile</title>\n    <link>{link}</link>\n'
        f"    <dc:date>{date}</dc:date>\n    <dc:subject>Siasa</dc:subject>\n"
        f"    <dwsyn:contentID>{content_id}</dwsyn:contentID>\n  </item>"
    ).encode()


@pytest.mark.parametrize("date", BAD_DATES, ids=BAD_DATE_IDS)
def test_feed_date_that_is_unusable_is_none(date: str, feed_entries: list[Entry]) -> None:
    real = RDF_FEED.read_bytes()
    # the second real item gets the hostile date; every other item keeps its own
    entries = FeedPage(real.replace(b"2023-09-14T10:12:00Z", date.encode())).entries()
    assert [e.url for e in entries] == [e.url for e in feed_entries]
    assert [e.published for e in entries] == [
        "2024-03-27T14:25:10Z",
        None,
        "2026-05-29T09:41:17Z",
        "2023-06-01T15:40:12Z",
    ]
    assert entries[1].content_id == 66808855
    _assert_crawlable(entries)


@pytest.mark.parametrize(
    "pub_date",
    [
        "Fri, 31 Dec 9999 23:59:59 -2359",  # overflows in UTC
        "Mon, 01 Jan 0001 00:00:00 +0500",  # underflows; email.utils also read "0001" as 2001
        "Thu, 99999999999999999999 Sep 2023 10:12:00 GMT",  # OverflowError in email.utils
        "banana",
    ],
)
def test_feed_pub_date_that_is_unusable_is_none(pub_date: str, feed_entries: list[Entry]) -> None:
    link = "https://www.dw.com/sw/x/a-68750000"
    hostile = f"\n  <item><title>Hostile</title><link>{link}</link><pubDate>{pub_date}</pubDate></item>".encode()
    entries = FeedPage(_insert_after(RDF_FEED.read_bytes(), b"</item>", hostile)).entries()
    assert entries == [*feed_entries[:2], Entry(url=link), *feed_entries[2:]]


@pytest.mark.parametrize("link", BAD_ID_LINKS, ids=["id-0", "id-2**63", "id-2**53", "id-5000-digits"])
def test_feed_item_with_out_of_range_id_is_left_out(link: str, feed_entries: list[Entry]) -> None:
    page = FeedPage(_insert_after(RDF_FEED.read_bytes(), b"</item>", _rdf_item(link)))
    assert page.entries() == feed_entries
    assert page.skipped == {"bad_id": 1}


@pytest.mark.parametrize(
    "link",
    ["http://[::1/sw/x/a-68750000", "https://www.dw.com:99999/sw/x/a-68750000", "/sw/x/a-68750000"],
    ids=["ipv6", "port", "relative"],
)
def test_feed_item_that_cannot_be_requested_is_left_out(link: str, feed_entries: list[Entry]) -> None:
    page = FeedPage(_insert_after(RDF_FEED.read_bytes(), b"</item>", _rdf_item(link)))
    assert page.entries() == feed_entries
    assert page.skipped == {"bad_url": 1}


@pytest.mark.parametrize(
    "content_id", ["0", "9223372036854775808", "9" * 5000, "12ab"], ids=["0", "2**63", "5000-digits", "not-digits"]
)
def test_feed_content_id_out_of_range_is_none(content_id: str, feed_entries: list[Entry]) -> None:
    link = "https://www.dw.com/sw/x/a-68750000"
    page = FeedPage(_insert_after(RDF_FEED.read_bytes(), b"</item>", _rdf_item(link, content_id=content_id)))
    entries = page.entries()
    hostile = Entry(url=link, published="2024-04-01T08:00:00Z", content_id=None, subject="Siasa")
    assert entries == [*feed_entries[:2], hostile, *feed_entries[2:]]
    _assert_crawlable(entries)


def test_feed_item_with_an_undeclared_prefix_keeps_the_feed(feed_entries: list[Entry]) -> None:
    """``<media:thumbnail>`` without xmlns:media: lxml's QName raised on the tag, the feed was lost."""
    link = "https://www.dw.com/sw/x/a-68750000"
    hostile = f'\n  <item><link>{link}</link><media:thumbnail url="x"/><dc:date>2024-04-01T08:00:00Z</dc:date></item>'
    entries = FeedPage(_insert_after(RDF_FEED.read_bytes(), b"</item>", hostile.encode())).entries()
    assert entries == [*feed_entries[:2], Entry(url=link, published="2024-04-01T08:00:00Z"), *feed_entries[2:]]


# ----- a listing page -----------------------------------------------------------------------------


def _listing_with(href: str) -> str:
    html = LISTING.read_text(encoding="utf-8")
    at = html.index('href="/sw/putin-akubali-mwaliko/a-66808855?maca=sw-rss-sw-all-1119-xml-mrss"')
    at = html.index("</a>", at) + len("</a>")
    return html[:at] + f'<a href="{href}">hostile</a>' + html[at:]


@pytest.mark.parametrize(
    ("href", "kind"),
    [
        ("/sw/x/a-0", "bad_id"),
        ("/sw/x/a-9223372036854775808", "bad_id"),
        ("/sw/x/a-9007199254740992", "bad_id"),
        ("/sw/x/a-" + "9" * 5000, "bad_id"),  # int() raised ValueError: the page was lost
        ("http://[::1/sw/x/a-68750000", "bad_url"),  # urlsplit raised ValueError: the page was lost
        ("/sw/x/a-6875\x000000", "other"),  # lxml makes the NUL U+FFFD: not the id a-68750000
    ],
    ids=["id-0", "id-2**63", "id-2**53", "id-5000-digits", "ipv6", "nul"],
)
def test_listing_link_that_is_unusable_is_counted_and_left_out(
    href: str, kind: str, listing_articles: dict[int, str]
) -> None:
    before = ListingPage(LISTING_URL, LISTING.read_text(encoding="utf-8"), BASE_URL).links().skipped
    links = ListingPage(LISTING_URL, _listing_with(href), BASE_URL).links()
    assert links.articles == listing_articles
    assert links.skipped - before == {kind: 1}
    for content_id in links.articles:
        assert ids.short_id_to_content_id(ids.content_id_to_short_id(content_id)) == content_id


def test_listing_keeps_the_largest_valid_id(listing_articles: dict[int, str]) -> None:
    links = ListingPage(LISTING_URL, _listing_with("/sw/x/a-9007199254740991"), BASE_URL).links()
    assert links.articles == {**listing_articles, 2**53 - 1: "https://www.dw.com/sw/x/a-9007199254740991"}
