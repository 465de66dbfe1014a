"""dwnews.urls: short ids, link classification, canonical URLs."""

from __future__ import annotations

import pytest

from dwnews.core import ids, urls

# Pairs seen on real DW pages (the page's short link and its URL's content id), and the seed.
REAL_PAIRS = [
    (68117411, "4boRv"),  # de 2024 politics page
    (77538843, "5FLOV"),  # en 2026 page
    (65897191, "4SUrv"),  # MARKUP.md
    (65464327, "4QgGF"),  # de 2023 legacy page
    (52060881, "3WRPd"),  # en 2020 legacy page
    (16863843, "18l3T"),  # en 2019 legacy page
    (66808855, "4WK2B"),  # the seed article
]


@pytest.mark.parametrize(("content_id", "short_id"), REAL_PAIRS)
def test_short_id_is_content_id_in_base62(content_id: int, short_id: str) -> None:
    assert ids.content_id_to_short_id(content_id) == short_id
    assert ids.short_id_to_content_id(short_id) == content_id


def test_base62_round_trips_and_rejects_bad_input() -> None:
    for value in (1, 61, 62, 3843, 3844, 10**12):
        assert ids.short_id_to_content_id(ids.content_id_to_short_id(value)) == value
    with pytest.raises(ValueError):
        ids.short_id_to_content_id("4WK-2")
    with pytest.raises(ValueError):
        ids.content_id_to_short_id(0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/sw/rais-putin-akubali-mwaliko-wa-kim-jong-un/a-66808855", 66808855),
        ("https://www.dw.com/sw/putin/a-66808855?maca=sw-rss-sw-all-1119-xml-mrss#comments", 66808855),
        ("https://www.dw.com/en/top-stories/germany/a-52060881", 52060881),
        ("/sw/video-ya-rais/video-66811111", None),
        ("/sw/sauti/audio-66811112", None),
        ("/sw/mubashara/live-66811113", None),
        ("/sw/picha/g-66811114", None),
        ("/sw/urusi/t-17284476", None),
        ("/sw/afrika/s-12756", None),
        ("/sw/mwandishi/person-51417817", None),
        ("/sw/a-66808855x", None),
        ("/sw/", None),
    ],
)
def test_article_id_of_links(url: str, expected: int | None) -> None:
    assert urls.article_id(url) == expected


def test_article_id_can_require_an_edition() -> None:
    assert urls.article_id("/sw/x/a-1", language="sw") == 1
    assert urls.article_id("/de/x/a-1", language="sw") is None


def test_short_id_found_in_share_urls_and_copy_text() -> None:
    share = "https://www.facebook.com/sharer/sharer.php?u=https://p.dw.com/p/4boRv%3Fmaca%3Dde-Facebook-sharing"
    assert ids.short_id_from_text(share) == "4boRv"
    assert ids.short_id_from_text(" https://p.dw.com/p/4WK2B ") == "4WK2B"
    assert ids.short_id_from_text("no link here") is None


def test_strip_tracking_and_site_urls() -> None:
    assert urls.strip_tracking("https://www.dw.com/sw/x/a-1?maca=y#top") == "https://www.dw.com/sw/x/a-1"
    assert urls.site_url("http://127.0.0.1:8000", "/sw/x/s-1") == "http://127.0.0.1:8000/sw/x/s-1"
    assert urls.site_url("https://www.dw.com/", "/sw/x/s-1") == "https://www.dw.com/sw/x/s-1"
    assert urls.same_site("/sw/x/a-1", "http://127.0.0.1:8000")
    assert urls.same_site("http://127.0.0.1:8000/sw/x/a-1", "http://127.0.0.1:8000")
    assert not urls.same_site("https://www.youtube.com/dwkiswahili", "http://127.0.0.1:8000")
    assert not urls.same_site("http://127.0.0.1:9999/sw/x/a-1", "http://127.0.0.1:8000")


# Content ids are positive and at most 2**53 - 1: SQLite INTEGER holds 2**63 - 1, JSON readers
# (doubles) are exact to 2**53 - 1. A link with any other id is not an article link.
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/sw/x/a-1", 1),
        ("/sw/x/a-9007199254740991", 2**53 - 1),
        ("/sw/x/a-000066808855", 66808855),  # leading zeros do not count towards the bound
        ("/sw/x/a-0", None),
        ("/sw/x/a-000", None),
        ("/sw/x/a-9007199254740992", None),  # 2**53
        ("/sw/x/a-9223372036854775807", None),  # SQLite's largest INTEGER
        ("/sw/x/a-9223372036854775808", None),  # 2**63: SQLite raised OverflowError on insert
        ("/sw/x/a-" + "9" * 5000, None),  # int() raised ValueError (more than 4300 digits)
        ("/sw/x/a-\u0661\u0662", None),  # Arabic-Indic digits: int() reads 12, DW never writes them
        ("http://[::1/sw/x/a-66808855", None),  # urlsplit raised ValueError (Invalid IPv6 URL)
    ],
)
def test_article_id_bounds(url: str, expected: int | None) -> None:
    assert urls.article_id(url) == expected


def test_parse_path_bounds_and_bad_id_classification() -> None:
    assert urls.parse_path("/sw/x/s-0") is None
    assert urls.parse_path("/sw/x/s-12756") == urls.DwPath("sw", "s", 12756, "x")
    assert urls.has_bad_content_id("/sw/x/a-0")
    assert urls.has_bad_content_id("/sw/x/video-9223372036854775808")
    assert not urls.has_bad_content_id("/sw/x/a-66808855")
    assert not urls.has_bad_content_id("/sw/")
    assert not urls.has_bad_content_id("http://[::1/sw/x/a-0")


def test_short_ids_keep_to_the_content_id_bounds() -> None:
    assert ids.MAX_CONTENT_ID == 2**53 - 1
    longest = ids.content_id_to_short_id(ids.MAX_CONTENT_ID)
    assert len(longest) == 9
    assert ids.short_id_to_content_id(longest) == ids.MAX_CONTENT_ID
    assert ids.short_id_to_content_id("00004WK2B") == 66808855
    beyond = ids.content_id_to_short_id(ids.MAX_CONTENT_ID + 1)
    for bad in (beyond, "0", "zzzzzzzzzzzzzzzzzzzz", "z" * 5000):
        with pytest.raises(ValueError):
            ids.short_id_to_content_id(bad)
    assert ids.short_id_from_text(f"https://p.dw.com/p/{longest}") == longest
    assert ids.short_id_from_text(f"https://p.dw.com/p/{beyond}") is None
    assert ids.short_id_from_text("https://p.dw.com/p/0") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("66808855", 66808855),
        (" 66808855\n", 66808855),
        ("9007199254740991", 2**53 - 1),
        ("9007199254740992", None),
        ("0", None),
        ("-5", None),
        ("12ab", None),
        ("9" * 5000, None),
        ("", None),
        (None, None),
    ],
)
def test_content_id_from_text(text: str | None, expected: int | None) -> None:
    assert ids.content_id_from_text(text) == expected


@pytest.mark.parametrize(
    ("url", "usable"),
    [
        ("https://www.dw.com/sw/x/a-66808855?maca=sw-rss", True),
        ("http://127.0.0.1:8000/sw/x/a-1", True),
        ("/sw/x/a-1", False),
        ("javascript:alert(1)", False),
        ("https:///sw/x/a-1", False),
        ("http://[::1/sw/x/a-1", False),
        ("https://www.dw.com:99999/sw/x/a-1", False),
        ("https://www.dw.com:abc/sw/x/a-1", False),
        ("https://www.dw.com/sw/x/a-1\x00", False),
        ("https://www.dw.com/sw/x/a-\ufffd1", False),
        ("", False),
    ],
)
def test_usable_url(url: str, usable: bool) -> None:
    assert urls.usable_url(url) is usable
