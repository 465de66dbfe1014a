"""robots.txt, read for what a crawl needs of it: the sitemaps it names.

(Whether a URL may be fetched is Scrapy's robots.txt middleware's business.) A ``Sitemap:`` line
whose value is no usable http(s) URL is left out; where it points (on the site or not) is for the
crawl to judge.
"""

from __future__ import annotations

from dwnews.core.urls import usable_url


class RobotsPage:
    """A robots.txt file's text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def sitemaps(self) -> list[str]:
        """The URLs of its ``Sitemap:`` lines (any case), in order, each once."""
        found: list[str] = []
        for line in self.text.splitlines():
            key, _, value = line.partition(":")
            url = value.strip()
            if key.strip().lower() == "sitemap" and usable_url(url) and url not in found:
                found.append(url)
        return found
