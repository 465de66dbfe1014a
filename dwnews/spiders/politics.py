"""``scrapy crawl politics``: DW Kiswahili politics articles, from the home page and its sections."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Request, Response, TextResponse

from dwnews import state, urls
from dwnews.items import Article
from dwnews.pages.listing import ListingPage
from dwnews.spiders.base import ArgumentError, DwSpider
from dwnews.state import state_for

logger = logging.getLogger(__name__)

_SECTION_ID_RE = re.compile(r"^(?:s-)?(\d+)$")


class PoliticsSpider(DwSpider):
    """Crawls the Kiswahili home page and the sections it links, keeps politics articles.

    Politics is DW's category id (``DWNEWS_POLITICS_CATEGORY_ID``) in the page's embedded data,
    or the category/kicker label "Siasa" where a page embeds none. Every article is requested
    once per run: its content id, and so its short id, is read from the link.
    """

    name = "politics"
    arguments: ClassVar[dict[str, str]] = {
        "section": "a section URL, path or id: https://www.dw.com/sw/afrika/s-12756, /sw/afrika/s-12756, s-12756",
        "since": "a date YYYY-MM-DD; articles published before it are skipped",
    }

    section: str | None = None
    since: str | None = None

    def check_arguments(self) -> None:
        self.since_date = None
        if self.since is not None:
            try:
                self.since_date = date.fromisoformat(str(self.since))
            except ValueError:
                raise ArgumentError(
                    f"since={self.since!r}: expected a date YYYY-MM-DD, e.g. since=2024-01-31"
                ) from None
        self.section_url = None
        if self.section is not None:
            self.section_url = self._section_url(str(self.section).strip())
        self.politics_id = str(self.settings.get("DWNEWS_POLITICS_CATEGORY_ID"))
        self.politics_labels = tuple(label.lower() for label in self.settings.getlist("DWNEWS_POLITICS_LABELS"))
        self.requested_ids: set[int] = set()

    def _section_url(self, value: str) -> str:
        match = _SECTION_ID_RE.match(value)
        if match:
            return self.site_url(f"/{self.language}/s-{match.group(1)}")
        parsed = urls.parse_path(value)
        if parsed is None or not parsed.is_section or parsed.language != self.language:
            raise ArgumentError(
                f"section={value!r}: expected a /{self.language}/ section URL, path or id, e.g. "
                f"section=/{self.language}/afrika/s-12756 or section=s-12756"
            )
        return self.site_url(urlsplit(value).path)

    def initial_requests(self) -> Iterable[Request]:
        if self.section_url:
            yield self.listing_request(self.section_url, follow_sections=False)
        else:
            yield self.listing_request(self.site_url(self.settings.get("DWNEWS_HOME_PATH")), follow_sections=True)

    def listing_request(self, url: str, follow_sections: bool) -> Request:
        return self.page_request(url, "listing", self.parse_listing, cb_kwargs={"follow_sections": follow_sections})

    def parse_listing(self, response: Response, follow_sections: bool) -> Iterable[Request]:
        if not isinstance(response, TextResponse):
            self.inc("listing/not_html")
            logger.warning("Listing %s is not HTML", response.url)
            return
        links = ListingPage(response.url, response.text, self.base_url, self.language).links()
        self.inc("listing/pages")
        self.inc("listing/article_links", len(links.articles))
        for kind, count in links.skipped.items():
            self.inc(f"listing/skipped/{kind}", count)
        if not links.articles:
            self.inc("listing/empty")
            if links.inline_scripts and not response.meta.get("dwnews_rendered"):
                self.inc("listing/empty_with_scripts")
                logger.warning(
                    "Listing %s has no article links in its HTML but has %d scripts: it may build them with "
                    "JavaScript (set SPLASH_URL to render listing pages)",
                    response.url,
                    links.inline_scripts,
                )
            else:
                logger.warning("Listing %s has no article links", response.url)
        if follow_sections:
            self.inc("listing/section_links", len(links.sections))
            for section_url in links.sections:
                yield self.listing_request(section_url, follow_sections=False)
        fresh = {cid: url for cid, url in links.articles.items() if cid not in self.requested_ids}
        self.inc("listing/article_already_requested", len(links.articles) - len(fresh))
        self.requested_ids.update(fresh)
        answers = self.claim(fresh)
        for content_id, url in fresh.items():
            answer = answers.get(content_id, state.NEW)
            if answer != state.NEW:
                self.inc(f"incremental/skipped/{answer}")
                continue
            yield self.article_request(url, content_id)

    def claim(self, articles: dict[int, str]) -> dict[int, str]:
        """Ask the cross-run state which of these articles to download (all, when it is off)."""
        store = state_for(self.crawler)
        if store is None or not articles:
            return {}
        by_short_id = {urls.content_id_to_short_id(cid): cid for cid in articles}
        answers = store.claim_many(by_short_id.items())
        return {by_short_id[short_id]: answer for short_id, answer in answers.items()}

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article]:
        page = self.read_article(response)
        if page is None:
            return
        store = state_for(self.crawler)
        if not page.is_politics(self.politics_id, self.politics_labels):
            self.inc("politics/dropped/not_politics")
            if store is not None and page.short_id:
                store.mark_skipped(page.short_id, page.content_id, "not_politics")
            logger.debug("Not politics: %s (category %s)", response.url, page.category)
            return
        published = page.published
        if self.since_date is not None:
            if published is None:
                self.inc("politics/since_unknown_date")
            elif published[:10] < self.since_date.isoformat():
                self.inc("politics/dropped/before_since")
                if store is not None and page.short_id:
                    store.release(page.short_id)  # a run with an earlier cut-off may want it
                return
        item = self.build_item(page)
        if item is not None:
            self.inc("politics/kept")
            yield item
