"""The item pipelines, run on records from the mirror's real-markup pages with real crawl stats."""

from __future__ import annotations

import dataclasses

import pytest
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from dwnews.core.record import Article
from dwnews.pages.article import ArticlePage
from dwnews.pipelines import CleanTextPipeline, RequiredFieldsPipeline, RunDedupPipeline
from tests.helpers import SITE


def seed_article() -> Article:
    html = (SITE / "sw" / "a-66808855.html").read_text("utf-8")
    record = ArticlePage("https://www.dw.com/sw/x/a-66808855", html).record()
    return Article.from_record(record, crawled_at="2026-11-30T00:00:00Z")


def test_cleaning_keeps_a_clean_record_and_applies_the_quote_convention() -> None:
    crawler = get_crawler()
    cleaned = CleanTextPipeline.from_crawler(crawler).process_item(seed_article())
    assert isinstance(cleaned, Article)
    assert 'Urusi," alisisitiza Lim.' in cleaned.body and "''" not in cleaned.body
    assert cleaned.word_count == len(cleaned.body.split())


def test_a_body_of_boilerplate_only_is_dropped_and_counted() -> None:
    crawler = get_crawler()
    article = dataclasses.replace(
        seed_article(),
        body="Nenda kwenye maudhui\n\nSikiliza sauti 02:45\n\nRussland | Kim Jong Un und Putin",
    )
    with pytest.raises(DropItem):
        CleanTextPipeline.from_crawler(crawler).process_item(article)
    assert crawler.stats.get_value("dwnews/dropped/empty_body") == 1
    assert crawler.stats.get_value("dwnews/clean/removed/widget_label") == 1


def test_missing_core_fields_and_duplicates_are_dropped_and_counted() -> None:
    crawler = get_crawler()
    required = RequiredFieldsPipeline(crawler.stats)
    with pytest.raises(DropItem):
        required.process_item(dataclasses.replace(seed_article(), title=None))
    assert crawler.stats.get_value("dwnews/dropped/missing_title") == 1
    dedup = RunDedupPipeline(crawler.stats)
    dedup.process_item(seed_article())
    with pytest.raises(DropItem):
        dedup.process_item(seed_article())
    assert crawler.stats.get_value("dwnews/dropped/duplicate") == 1


def test_the_pipeline_cleans_the_parts_the_page_found_and_pops_no_credit_line_again() -> None:
    """The page object moves credit lines out knowing headings from paragraphs; the pipeline cleans
    those paragraphs one by one and never splits the joined text or pops by other rules."""
    html = (SITE / "sw" / "a-66808855.html").read_text("utf-8")
    page = ArticlePage("https://www.dw.com/sw/x/a-66808855", html)
    # a closing heading that reads like a credit line: a heading is never one, so a page keeps it
    heading = "Mhariri: maoni ya wasomaji"
    parts = dataclasses.replace(
        page.body, paragraphs=[*page.body.paragraphs, heading], subheadings=[*page.body.subheadings, heading]
    )
    item = Article.from_record(page.record(), crawled_at="2026-11-30T00:00:00Z", parts=parts)
    cleaned = CleanTextPipeline.from_crawler(get_crawler()).process_item(item)
    assert cleaned.body.endswith(heading) and heading in cleaned.subheadings
    assert cleaned.editors == page.record()["editors"], "no second credit-line pass"
    assert cleaned.parts is None, "the working parts are not carried to the feed"
    assert cleaned.word_count == len(cleaned.body.split())


def test_a_teaser_alone_is_never_taken_for_the_text() -> None:
    """A body DW moved where no hook finds it must not export teasers for good: no body, no record."""
    crawler = get_crawler()
    article = dataclasses.replace(seed_article(), body="", parts=None)
    with pytest.raises(DropItem, match="missing body"):
        RequiredFieldsPipeline.from_crawler(crawler).process_item(
            CleanTextPipeline.from_crawler(crawler).process_item(article)
        )
    assert crawler.stats.get_value("dwnews/dropped/missing_body") == 1


def test_a_body_past_the_bound_is_cut_at_a_paragraph_and_counted() -> None:
    crawler = get_crawler(settings_dict={"DWNEWS_MAX_BODY_CHARS": 1000})
    paragraph = "Rais wa Kenya amesema serikali itaendelea na mazungumzo na upinzani wiki ijayo. " * 3
    article = dataclasses.replace(seed_article(), body="\n\n".join([paragraph.strip()] * 40), parts=None)
    cut = CleanTextPipeline.from_crawler(crawler).process_item(article)
    assert len(cut.body) <= 1000 and cut.body.endswith("ijayo.") and "\n\n" in cut.body
    assert cut.word_count == len(cut.body.split())
    assert crawler.stats.get_value("dwnews/bounds/body_truncated") == 1


def test_a_record_that_breaks_the_schema_is_dropped_and_counted() -> None:
    crawler = get_crawler()
    article = dataclasses.replace(seed_article(), url="javascript:alert(1)")
    with pytest.raises(DropItem, match="no http"):
        RequiredFieldsPipeline.from_crawler(crawler).process_item(article)
    assert crawler.stats.get_value("dwnews/dropped/bad_record") == 1
