"""Property-based tests (hypothesis): the parsers and the cleaning functions never raise.

Inputs are the mirror's real pages mutated at random (cut, repeated, spliced with random markup,
truncated) and random text. The budget (examples per property) is FUZZ_EXAMPLES; docs/reliability.md
reports it.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dwnews.core.dates import iso_utc, parse_text_date
from dwnews.core.encoding import decode_html
from dwnews.core.text import clean_body, clean_record
from dwnews.core.urls import article_id, parse_path, rebase
from dwnews.pages.article import ArticlePage
from dwnews.pages.feeds import FeedPage, SitemapPage
from dwnews.pages.listing import ListingPage
from tests.helpers import SITE

FUZZ_EXAMPLES = 1000
PAGES = [path.read_text("utf-8") for path in sorted(SITE.glob("*/a-*.html"))]
LISTINGS = [path.read_text("utf-8") for path in sorted(SITE.glob("sw/s-*.html"))]
FEEDS = [
    path.read_bytes() for path in (SITE / "sitemap.xml", SITE / "sw" / "news-sitemap.xml", SITE / "rdf" / "rss-kis-all")
]
MARKUP = st.sampled_from(
    ["<p>", "</p>", "<script type=\"application/ld+json\">{", "window.__APOLLO_STATE__={", "<div class=\"rich-text\">",
     "</div>", "<h1>", "<figure><img data-url=\"${formatId}\">", "\x00", "\ufeff", "Picha: ", "''", "ng'ombe", "<!--"]
)  # fmt: skip
# Random examples on a developer's machine (new inputs every run: that is how the unbalanced IPv6
# brackets in canonical links and robots.txt were found); fixed ones in CI, so that a landing does
# not depend on which inputs a run happened to draw.
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
)


@st.composite
def mutated(draw: st.DrawFn, pages: list[str]) -> str:
    page = draw(st.sampled_from(pages))
    for _ in range(draw(st.integers(1, 4))):
        start = draw(st.integers(0, len(page)))
        end = draw(st.integers(start, min(len(page), start + 5000)))
        action = draw(st.sampled_from(["cut", "repeat", "splice", "truncate"]))
        if action == "cut":
            page = page[:start] + page[end:]
        elif action == "repeat":
            page = page[:end] + page[start:end] + page[end:]
        elif action == "splice":
            page = page[:start] + draw(st.one_of(MARKUP, st.text(max_size=50))) + page[start:]
        else:
            page = page[:start]
    return page


@FUZZ
@given(html=mutated(PAGES), content_id=st.integers(1, 10**10))
def test_article_page_never_raises(html: str, content_id: int) -> None:
    record = ArticlePage(f"https://www.dw.com/sw/x/a-{content_id}", html).record()
    clean_record(record)


@FUZZ
@given(html=mutated(LISTINGS))
def test_listing_page_never_raises(html: str) -> None:
    ListingPage("http://127.0.0.1:1/sw/x/s-11588", html, "http://127.0.0.1:1").links()


@FUZZ
@given(data=st.one_of(st.binary(max_size=3000), st.sampled_from(FEEDS).map(lambda b: b[: len(b) // 2])))
def test_feed_and_sitemap_readers_never_raise(data: bytes) -> None:
    SitemapPage(data).entries()
    FeedPage(data).entries()


@FUZZ
@given(text=st.text(max_size=2000), declared=st.sampled_from([None, "utf-8", "latin-1", "cp1252", "bogus"]))
def test_text_functions_never_raise(text: str, declared: str | None) -> None:
    clean_body(text)
    clean_record({"body": text, "title": text[:80], "teaser": text[:200], "topics": [text[:10]], "images": []})
    decode_html(text.encode("utf-8", errors="surrogatepass"), declared)
    iso_utc(text[:40])
    parse_path(text)
    article_id(text)
    rebase(text, "http://127.0.0.1:1")


@settings(max_examples=50, deadline=None)
@given(text=st.text(max_size=60))
def test_text_dates_never_raise(text: str) -> None:
    parse_text_date(text)


def test_fixture_pages_are_loaded() -> None:
    assert len(PAGES) >= 14 and len(LISTINGS) >= 5 and Path(SITE).is_dir()
