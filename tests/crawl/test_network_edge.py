"""The network edge, against a hostile mirror on loopback with real `scrapy crawl` processes.

Every request stays on the configured site's scheme, host and port, whatever names another one
(a redirect, a robots.txt ``Sitemap:`` line, a sitemap or feed entry); and a page that turns out to
be another article never changes what the store knows about either article.
"""

from __future__ import annotations

import gzip
import sqlite3
from collections import Counter
from pathlib import Path

import pytest

from dwnews.core.ids import content_id_to_short_id
from dwnews.mirror import Fault, MirrorServer
from tests.helpers import JS_ONLY, POLITICS, ROBOTS_DISALLOWED, SITE, run_crawl

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

QUICK = ("-s", "DWNEWS_RETRY_BACKOFF=0.2", "-s", "DOWNLOAD_TIMEOUT=5", "-s", "LOG_LEVEL=INFO")
REDIRECTED_OFFSITE = 66808855  # politics; redirects to another port's non-politics page
REDIRECTED_ELSEWHERE = 68700001  # politics; redirects to a non-politics article on the same site
NOT_POLITICS_TARGET = 66900002
GZIP_BOMB = 77400001  # politics; served as 11 MB of zeros in 11 KB of gzip
# every source: the sitemaps also list the articles only linked from a disallowed or a JS-only page
EVERY_POLITICS = POLITICS | ROBOTS_DISALLOWED | JS_ONLY


def status_of(state: Path, content_id: int) -> str | None:
    with sqlite3.connect(f"file:{state / 'articles.sqlite3'}?mode=ro", uri=True) as db:
        row = db.execute(
            "SELECT status FROM articles WHERE short_id = ?", (content_id_to_short_id(content_id),)
        ).fetchone()
    return None if row is None else str(row[0])


def _add_before(marker: str, extra: str) -> Fault:
    return Fault("transform", transform=lambda text: text.replace(marker, extra + marker, 1))


def test_no_request_leaves_the_site_and_redirects_never_mark_the_asked_article(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with MirrorServer(SITE) as site, MirrorServer(SITE) as other:
        other_port = f"http://127.0.0.1:{other.port}"
        news_entry = f"<url><loc>{other_port}/sw/x/a-70000001</loc></url>\n"
        feed_item = (
            f'<item rdf:about="x"><title>t</title><link>https://127.0.0.1:{site.port}/sw/x/a-70000002</link></item>\n'
        )
        site.faults.update(
            {
                f"sw/a-{REDIRECTED_OFFSITE}": Fault("redirect", location=f"{other_port}/sw/x/a-{NOT_POLITICS_TARGET}"),
                f"sw/a-{REDIRECTED_ELSEWHERE}": Fault("redirect", location=f"/sw/x/a-{NOT_POLITICS_TARGET}"),
                f"sw/a-{GZIP_BOMB}": Fault(
                    "bytes",
                    transform_bytes=lambda _: gzip.compress(b"\0" * (11 * 1024 * 1024)),
                    headers={"Content-Encoding": "gzip"},
                ),
                "/robots.txt": Fault(
                    "transform",
                    transform=lambda text: (
                        text + f"Sitemap: {other_port}/sitemap.xml\nSitemap: ftp://127.0.0.1/sitemap.xml\n"
                    ),
                ),
                "/sw/news-sitemap.xml": _add_before("</urlset>", news_entry),
                "/rdf/rss-kis-all": _add_before("</rdf:RDF>", feed_item),
            }
        )
        hostile = run_crawl(site.base_url, "politics", tmp_path / "1", "-a", "source=all", *QUICK, state_dir=state)
        asked_elsewhere = list(other.requests)
        offsite_status = status_of(state, REDIRECTED_OFFSITE)
        elsewhere_status = status_of(state, REDIRECTED_ELSEWHERE)
        site.faults.clear()
        healed = run_crawl(site.base_url, "politics", tmp_path / "2", "-a", "source=all", *QUICK, state_dir=state)

    assert hostile.returncode == 0, hostile.log[-3000:]
    assert asked_elsewhere == [], "nothing is ever requested from another port of the same host"
    assert hostile.stat("dwnews/offsite/redirect") == 1
    assert hostile.stat("dwnews/offsite/robots") == 1  # the ftp:// line is no usable URL at all
    assert hostile.stat("dwnews/offsite/news-sitemap") == 1
    assert hostile.stat("dwnews/offsite/feed") == 1  # https on the mirror's http port
    assert "Refused an off-site request (redirect)" in hostile.log
    assert hostile.stat("dwnews/failed/article/offsite") == 1
    assert hostile.stat("dwnews/failed/article/too_large") == 1, "a body over the size bound is too_large"
    assert hostile.stat("dwnews/article/other_article") == 1
    # Neither redirected article is remembered as "not politics" (or anything): both are retried.
    assert offsite_status is None and elsewhere_status is None
    exported = {item["content_id"] for item in hostile.items}
    assert exported == EVERY_POLITICS - {REDIRECTED_OFFSITE, REDIRECTED_ELSEWHERE, GZIP_BOMB}
    assert all(item["url"].startswith("https://www.dw.com/sw/") for item in hostile.items)

    # The next run, redirects gone, has both: every politics article once over the two runs.
    assert healed.returncode == 0, healed.log[-3000:]
    both = Counter(item["content_id"] for item in hostile.items + healed.items)
    assert set(both) == EVERY_POLITICS and max(both.values()) == 1
    assert status_of(state, REDIRECTED_OFFSITE) == status_of(state, REDIRECTED_ELSEWHERE) == "exported"


def _deep_jsonld(html: str) -> str:
    nested = "[" * 100_000 + "]" * 100_000
    return html.replace('"@type":"NewsArticle"', f'"x":{nested},"@type":"NewsArticle"', 1)


def test_hostile_pages_are_exported_as_the_real_ones(mirror: MirrorServer, tmp_path: Path) -> None:
    """A real crawl of pages with a bad byte, JSON 100,000 deep, HTML 5,000 deep and a number for
    a title: every politics article exported, field by field as the untouched page gives it."""
    import json
    import re

    mirror.faults.update(
        {
            "sw/a-66808855": Fault("bytes", transform_bytes=lambda b: b.replace(b"<head>", b"<head><!-- \xff -->", 1)),
            "sw/a-68700001": Fault("transform", transform=_deep_jsonld),
            "sw/a-66900003": Fault("transform", transform=lambda h: h.replace("<body>", "<body>" + "<div>" * 5000, 1)),
            "sw/a-68700002": Fault(
                "transform", transform=lambda h: re.sub(r'"headline":"[^"]*"', '"headline":1e999999', h, count=1)
            ),
        }
    )
    result = run_crawl(mirror.base_url, "politics", tmp_path, *QUICK)
    assert result.returncode == 0, result.log[-3000:]
    assert {item["content_id"] for item in result.items} == POLITICS
    for item in result.items:
        item.pop("crawled_at")
        expected = json.loads((SITE / "sw" / f"a-{item['content_id']}.expected.json").read_text("utf-8"))
        assert item == expected, item["content_id"]
    assert result.stat("dwnews/article/charset/utf8_with_invalid_bytes") == 1
    assert result.stat("dwnews/article/jsonld_invalid") == 1
    assert result.stat("dwnews/article/html_too_deep") == 1
    assert result.stat("dwnews/article/bad_type/title") == 1
    assert "Page " in result.log and "bad_type/title" in result.log, "logged with the URL"
