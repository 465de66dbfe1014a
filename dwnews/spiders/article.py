"""``scrapy crawl article -a url=URL[,URL...]``: one-off extraction of given DW article URLs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar
from urllib.parse import urlsplit

from scrapy.http import Request, Response

from dwnews.core import ids, urls
from dwnews.core.keys import Skip
from dwnews.core.outcome import SettingError
from dwnews.core.record import Article
from dwnews.spiders.base import DwSpider


class ArticleSpider(DwSpider):
    """Extracts the given article URLs of any DW edition, with no category filter."""

    name = "article"
    # One-off extraction: it neither skips known articles nor records what it exported.
    custom_settings = {"DWNEWS_INCREMENTAL": False}  # noqa: RUF012 -- Scrapy's own attribute
    arguments: ClassVar[dict[str, str]] = {
        "url": "one or more DW article URLs /<lang>/<slug>/a-<id> or short links https://p.dw.com/p/<id>, "
        "comma-separated",
    }

    url: str | None = None

    def check_arguments(self) -> None:
        if not self.url:
            raise SettingError("url: required; give one or more DW article URLs /<lang>/<slug>/a-<id>, comma-separated")
        self.targets: list[tuple[int, str]] = []
        base_host = urlsplit(self.site.base_url).netloc.lower()
        for raw in str(self.url).split(","):
            raw = raw.strip()
            if not raw:
                continue
            parts = urlsplit(raw)
            if (parts.hostname or "").lower() == "p.dw.com":
                # a short link: the content id is known before download (base 62), the page is
                # where p.dw.com redirects (an article URL of the same id is the same article)
                short_id = parts.path.removeprefix("/p/")
                try:
                    short_content_id = ids.short_id_to_content_id(short_id)
                except ValueError:
                    raise SettingError(
                        f"url={raw!r}: not a DW short link; expected https://p.dw.com/p/<id>, e.g. "
                        "https://p.dw.com/p/4WK2B"
                    ) from None
                self.targets.append((short_content_id, self.site.rebased(ids.short_url(short_id))))
                continue
            content_id = urls.article_id(raw)
            # hosts that serve the same DW pages as www.dw.com: fetched from DWNEWS_BASE_URL
            host_ok = not parts.netloc or parts.netloc.lower() in urls.DW_PAGE_HOSTS | {base_host}
            if content_id is None or not host_ok:
                raise SettingError(
                    f"url={raw!r}: expected a DW article URL such as https://www.dw.com/sw/<slug>/a-66808855"
                )
            # The path identifies the page; the host is the configured site (dw.com or a mirror).
            self.targets.append((content_id, self.site.url(urls.strip_tracking(parts.path))))

    def initial_requests(self) -> Iterable[Request]:
        seen: set[int] = set()
        for content_id, url in self.targets:
            if content_id not in seen:
                seen.add(content_id)
                yield self.article_request(url, content_id)

    def parse_article(self, response: Response, **kwargs: Any) -> Iterable[Article | Skip]:
        page = self.read_article(response)
        if isinstance(page, Skip):
            yield page
            return
        item = self.build_item(page)
        if item is not None:
            yield item
