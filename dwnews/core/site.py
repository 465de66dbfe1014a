"""The DW site profile: where DW Kiswahili's pages are and what marks a politics article.

What is known of DW's Kiswahili site (``/sw/``) is written here once: the home page, the sitemap
and feed names, DW's politics category, and the credit-line labels DW's items end with, per
language. ``dwnews.core.config`` takes its defaults from here; :class:`Site` is the profile one
crawl uses (the configured base URL, a mirror's or the real site's).
"""

from __future__ import annotations

from dataclasses import dataclass

from dwnews.core.urls import rebase, site_origins, site_url

#: the real site; every URL a crawl requests derives from DWNEWS_BASE_URL (this by default)
DW_BASE_URL = "https://www.dw.com"
#: the Kiswahili home page ("Idhaa ya Kiswahili"), where the politics crawl starts
HOME_PATH = "/sw/idhaa-ya-kiswahili/s-11588"
LANGUAGE = "sw"
#: DW serves feeds from rss.dw.com. The Kiswahili feed's name is by analogy with other editions
#: ("rss-<edition>-all"), not verified on the live site (scrapy site-check says whether it exists).
FEED_URLS = ("https://rss.dw.com/rdf/rss-kis-all",)
ROBOTS_PATH = "/robots.txt"
#: tried when robots.txt names no sitemap
SITEMAP_INDEX_PATH = "/sitemap.xml"
#: the names other editions give their sitemaps, tried when DW's index lists none for /sw/
NEWS_SITEMAP_NAME = "news-sitemap.xml"
ARTICLE_SITEMAP_NAME = "article-sitemap.xml"

#: DW's category id of politics in a page's embedded data (``Article.categories[].originId``)
POLITICS_CATEGORY_ID = "19990022"
#: the category / kicker labels that mean politics where a page embeds no category id
POLITICS_LABELS = ("Siasa",)

#: words of a section's slug that make it a media section (videos, audio, the "Media Center"): such
#: sections link av-/video-/audio- pages, not articles, and are not followed
#: (``/sw/video-za-hivi-punde/s-...``, the old layout's "Media Center")
MEDIA_SECTION_WORDS = frozenset({"video", "videos", "audio", "media", "mediacenter", "podcast", "podcasts"})


def is_media_section(slug: str) -> bool:
    """Is a section with this URL slug a media section (see :data:`MEDIA_SECTION_WORDS`)?"""
    return any(word in MEDIA_SECTION_WORDS for word in slug.lower().replace("/", "-").split("-"))


# The credit lines that end a DW item, "<label>: <names>", by the field they fill. Only labels seen
# on real DW material (tests/fixtures/dw-credit-lines/labels.json gives the page for each): sw
# Mwandishi (author), Mhariri (editor), Mtayarishaji (producer: who prepared the item, one of its
# authors) and Kipindi (the programme: no person, no field; these two as the reference's real /sw/
# text shows them); fr Auteur / Edition (a real 2011 page: "Auteur : Kossivi Tiassou"); en Author
# (a real gallery credit) and "Edited by" (the real 2026 English page in tests/fixtures/dw-reference/
# pages ends "Edited by: Wesley Dockery"). No Hausa, Amharic or Portuguese credit line was found in
# any store we can reach, so none is guessed.
CREDIT_LABELS: dict[str, tuple[str, ...]] = {
    "author": ("Mwandishi", "Auteur", "Author"),
    "editor": ("Mhariri", "Edition", "Edited by"),
    "producer": ("Mtayarishaji",),
    "programme": ("Kipindi",),
}


@dataclass(frozen=True)
class PoliticsRule:
    """What makes an article politics: DW's category id, or a label where no id is embedded.

    A "not politics" verdict is kept with the rule that made it (:attr:`key`): a run with another
    rule judges such an article again instead of skipping it for good.
    """

    category_id: str = POLITICS_CATEGORY_ID
    labels: tuple[str, ...] = POLITICS_LABELS

    @property
    def folded_labels(self) -> tuple[str, ...]:
        return tuple(label.strip().casefold() for label in self.labels if label.strip())

    @property
    def key(self) -> str:
        return "|".join((self.category_id, *sorted(self.folded_labels)))


@dataclass(frozen=True)
class Site:
    """The site one crawl reads: DW's own, or a mirror of it at another base URL."""

    base_url: str = DW_BASE_URL
    language: str = LANGUAGE
    home_path: str = HOME_PATH
    feed_urls: tuple[str, ...] = FEED_URLS

    def url(self, path_or_url: str) -> str:
        """An absolute URL on this site."""
        return site_url(self.base_url, path_or_url)

    def rebased(self, url: str) -> str:
        """A dw.com URL as fetched from this site (see :func:`dwnews.core.urls.rebase`)."""
        return rebase(url, self.base_url)

    @property
    def origins(self) -> frozenset[tuple[str, str, int]]:
        """(scheme, host, port) a crawl of this site may request."""
        return site_origins(self.base_url)

    @property
    def home_url(self) -> str:
        return self.url(self.home_path)

    @property
    def robots_url(self) -> str:
        return self.url(ROBOTS_PATH)

    @property
    def sitemap_index_url(self) -> str:
        return self.url(SITEMAP_INDEX_PATH)

    def sitemap_url(self, name: str) -> str:
        """A sitemap of this language edition by its name: ``/sw/news-sitemap.xml``."""
        return self.url(f"/{self.language}/{name}")

    def section_url(self, section_id: int) -> str:
        return self.url(f"/{self.language}/s-{section_id}")

    @property
    def feeds(self) -> tuple[str, ...]:
        """The feed URLs as this site serves them (a mirror serves rss.dw.com's paths itself)."""
        return tuple(self.rebased(url) for url in self.feed_urls)
