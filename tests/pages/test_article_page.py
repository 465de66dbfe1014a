"""ArticlePage on saved pages: every mirror article against its expected record, field by field,
and the fallbacks on real pages whose JSON-LD, state or DOM hooks are broken or missing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from dwnews.core.record import FIELD_NAMES
from dwnews.core.text import clean_record
from dwnews.pages.article import ArticlePage
from tests.helpers import REFERENCE_PAGES, SITE, TESTS

EXPECTED = sorted(SITE.glob("*/a-*.expected.json"))
COMPARED_FIELDS = [name for name in FIELD_NAMES if name != "crawled_at"]
SEED_TEXT = TESTS / "fixtures" / "seed_4WK2B.txt"


def page_for(expected_file: Path) -> ArticlePage:
    html_file = expected_file.with_name(expected_file.name.replace(".expected.json", ".html"))
    content_id = html_file.stem.split("-")[1]
    url = f"https://www.dw.com/{html_file.parent.name}/slug/a-{content_id}?maca=test"
    return ArticlePage(url, html_file.read_text("utf-8"))


def test_the_mirror_has_the_article_fixtures() -> None:
    languages = {path.parent.name for path in EXPECTED}
    assert {"sw", "de", "en"} <= languages
    assert len([p for p in EXPECTED if p.parent.name == "sw"]) >= 8


@pytest.mark.parametrize("expected_file", EXPECTED, ids=lambda p: f"{p.parent.name}/{p.name.split('.')[0]}")
def test_record_matches_expected_field_by_field(expected_file: Path) -> None:
    """The page object's record, cleaned as the pipeline cleans it, is the expected exported record."""
    expected: dict[str, Any] = json.loads(expected_file.read_text("utf-8"))
    page = page_for(expected_file)
    record, _ = clean_record(page.record(), parts=page.body)  # as the pipeline gets it
    assert list(expected) == COMPARED_FIELDS, "expected file must list every record field in order"
    for name in COMPARED_FIELDS:
        assert record[name] == expected[name], f"{expected_file.name}: field {name}"


def test_seed_article_body_is_the_seed_text_verbatim() -> None:
    """The seed is what a reader sees; the body is its article paragraphs, nothing else."""
    record = page_for(SITE / "sw" / "a-66808855.expected.json").record()  # before cleaning: verbatim
    seed_lines = [line.strip() for line in SEED_TEXT.read_text("utf-8").splitlines() if line.strip()]
    for paragraph in record["body"].split("\n\n"):
        assert paragraph in seed_lines
    assert record["teaser"] in seed_lines
    for noise in ("Nenda kwenye maudhui", "Picha:", "Russland |", "Südkorea", "(AP, DPA, Reuters)", "p.dw.com"):
        assert noise not in record["body"]
    assert record["agencies"] == ["AP", "dpa", "Reuters"]
    assert record["short_id"] == "4WK2B" and record["content_id"] == 66808855


def _real(name: str) -> tuple[str, str]:
    path = next(REFERENCE_PAGES.glob(f"*{name}*.html"))
    content_id = re.search(r"a-(\d+)", path.name).group(1)  # type: ignore[union-attr]
    return f"https://www.dw.com/{path.name[:2]}/slug/a-{content_id}", path.read_text("utf-8")


def test_broken_jsonld_falls_back_to_state_and_is_counted() -> None:
    url, html = _real("a-68117411")
    broken = html.replace('"@type":"NewsArticle"', '"@type":"NewsArticle",,', 1)
    assert broken != html
    page = ArticlePage(url, broken)
    record = page.record()
    assert "jsonld_invalid" in page.events
    assert record["title"] == "Russland-Wahl: Nadeschdin setzt auf ein Ende der Putin-Ära"
    assert record["published"] == "2024-01-30T14:13:12Z"  # from the state now
    assert "source/published/state" in page.events


def test_broken_state_falls_back_to_the_dom() -> None:
    url, html = _real("a-68117411")
    broken = html.replace("window.__APOLLO_STATE__", "window.__APOLLO_STATE__ = {broken", 1)
    page = ArticlePage(url, broken)
    record = page.record()
    assert "state_invalid" in page.events
    assert "source/body/dom" in page.events
    assert record["category_id"] is None and "missing/category_id" in page.events
    assert record["body"] == ArticlePage(url, html).record()["body"]


def test_no_embedded_data_at_all_uses_dom_hooks_only() -> None:
    url, html = _real("a-77538843")
    page = ArticlePage(url, html)
    record = page.record()
    assert page.jsonld == {} and page.state == {}
    assert record["title"] == "Germany start 2026 World Cup with win over Curacao"
    assert record["authors"] == ["Jonathan Harding"]
    assert record["short_id"] == "5FLOV" and "short_id_mismatch" not in page.events


def test_short_link_disagreeing_with_the_id_is_counted_and_the_id_wins() -> None:
    url, html = _real("a-77538843")
    page = ArticlePage(url, html.replace("p.dw.com/p/5FLOV", "p.dw.com/p/5FLOW"))
    assert page.record()["short_id"] == "5FLOV"
    assert "short_id_mismatch" in page.events


def test_page_without_body_or_title_reports_them_missing() -> None:
    page = ArticlePage("https://www.dw.com/sw/x/a-66808855", "<html lang='sw'><body><p>tupu</p></body></html>")
    record = page.record()
    assert record["body"] == "" and record["title"] is None
    assert {"missing/body", "missing/title"} <= set(page.events)
    assert record["short_id"] == "4WK2B"  # identity still known from the URL


@pytest.mark.parametrize("junk", ["", "\x00\x01", "<<<>>>", "<html><script type='application/ld+json'>[1,2</script>"])
def test_junk_never_raises(junk: str) -> None:
    ArticlePage("https://www.dw.com/sw/x/a-1", junk).record()


def test_kiswahili_text_date_is_the_last_resort() -> None:
    """A page whose only date is the visible "14 Septemba 2023" still gets its published date."""
    html = (SITE / "sw" / "a-66808855.html").read_text("utf-8")
    stripped = re.sub(r"<script[^>]*>.*?</script>", "", html, flags=re.S)
    page = ArticlePage("https://www.dw.com/sw/x/a-66808855", stripped)
    assert page.jsonld == {} and page.state == {}
    assert page.published == "2023-09-14"
    assert "source/published/text" in page.events


def test_each_field_is_asked_of_its_sources_in_the_documented_order() -> None:
    """COMPOSITION gives every field the order of sources ArticlePage's docstring documents; the
    page's own sources (URL, ``<html lang>``, canonical and short link, credit lines) come around them."""
    from dwnews.pages.article import FIELD_SOURCES

    assert FIELD_SOURCES == {
        "layout": ("legacy", "dom"),
        "canonical_url": ("meta",),
        "content_id": ("state",),
        "page_short_id": ("dom", "state", "legacy"),
        "language": ("state", "meta"),
        "title": ("jsonld", "state", "dom", "legacy", "meta"),
        "teaser": ("jsonld", "state", "dom", "legacy", "meta"),
        "body": ("state", "dom", "legacy"),
        "kicker": ("dom",),
        "category": ("state", "kicker", "legacy"),
        "category_id": ("state",),
        "category_ids": ("state",),
        "topics": ("dom", "legacy"),
        "authors": ("jsonld", "state", "dom", "legacy"),
        "published": ("jsonld", "state", "meta", "legacy", "text"),
        "modified": ("jsonld", "state", "meta"),
        "images": ("dom", "legacy"),
    }


def test_a_body_of_credit_lines_alone_takes_the_teaser_as_its_text() -> None:
    """The legacy audio item a-6533123: its teaser is its text, its body only "Auteur : ..."."""
    page_file = TESTS / "fixtures" / "dw-credit-lines" / "pages" / "fr_2011-05-23_legacy-layout_a-6533123.html"
    page = ArticlePage("https://www.dw.com/fr/x/a-6533123", page_file.read_text("utf-8"))
    record = page.record()
    assert (record["authors"], record["editors"]) == (["Kossivi Tiassou"], ["M-A. Pioerron"])
    assert record["body"] == record["teaser"] and record["body"].startswith("24 milliards de tonnes")
    assert "source/body/teaser" in page.events and "source/authors/credit_line" in page.events
    assert "Auteur" not in str(record)


def test_a_page_whose_body_no_hook_finds_has_no_body_though_it_has_a_teaser() -> None:
    html = (SITE / "sw" / "a-66808855.html").read_text("utf-8").replace("rich-text", "rich-txt")
    html = re.sub(r'"text":"(?:[^"\\]|\\.)*"', '"text":""', html)  # the state's copy of the body too
    page = ArticlePage("https://www.dw.com/sw/x/a-66808855", html)
    assert page.teaser and page.record()["body"] == "" and "missing/body" in page.events
