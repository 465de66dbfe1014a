"""Writes the mirror's sitemaps and RSS feed from its articles' expected records (deterministic).

    python tests/site/build_feeds.py           # (re)write them
    python tests/site/build_feeds.py --check   # exit 1 if one is out of date

The shapes follow the sitemap protocol (sitemapindex/urlset with lastmod), Google News sitemaps
(news:publication_date, as DW's /de/news-sitemap.xml is reported to use), and DW's RSS 1.0 (RDF)
feed as seen in tests/fixtures/dw-reference/feeds/rss-bos-all_2020_sample.rdf (dc:date,
dc:subject, dwsyn:contentID, links with a ?maca= tracking query). The exact /sw/ names are
unverified on the live site (MARKUP.md); the spiders discover them through robots.txt.

Which articles each source lists (the mirror is a snapshot taken on 2026-05-30):
- news sitemap: the two articles of the last days (77400001 politics, 77400002 sports);
- article sitemap: an index of yearly sitemaps holding every Kiswahili article, including those
  no listing page reaches (66900001, 68800001, 68800002): a backfill finds them;
- feed: four politics articles that the sections link too.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
NEWS = [77400001, 77400002]
FEED = [68700001, 66808855, 77400001, 66900003]
SNAPSHOT = "2026-05-30T16:00:00Z"


def records() -> dict[int, dict[str, object]]:
    out = {}
    for path in sorted((HERE / "sw").glob("a-*.expected.json")):
        record = json.loads(path.read_text("utf-8"))
        out[int(record["content_id"])] = record
    return out


def lastmod(record: dict[str, object]) -> str:
    value = str(record.get("modified") or record["published"])
    return value if "T" in value else value + "T00:00:00Z"


def sitemap_index(entries: list[tuple[str, str]]) -> str:
    rows = "".join(
        f"  <sitemap>\n    <loc>{escape(loc)}</loc>\n    <lastmod>{mod}</lastmod>\n  </sitemap>\n"
        for loc, mod in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + rows + "</sitemapindex>\n"
    )


def urlset(rows: str, news: bool = False) -> str:
    ns = ' xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"' if news else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"{ns}>\n' + rows + "</urlset>\n"
    )


def news_sitemap(recs: dict[int, dict[str, object]]) -> str:
    rows = ""
    for cid in NEWS:
        r = recs[cid]
        rows += (
            f"  <url>\n    <loc>{escape(str(r['url']))}</loc>\n    <news:news>\n"
            "      <news:publication>\n        <news:name>DW</news:name>\n"
            "        <news:language>sw</news:language>\n      </news:publication>\n"
            f"      <news:publication_date>{r['published']}</news:publication_date>\n"
            f"      <news:title>{escape(str(r['title']))}</news:title>\n    </news:news>\n  </url>\n"
        )
    return urlset(rows, news=True)


def yearly_sitemaps(recs: dict[int, dict[str, object]]) -> dict[str, list[dict[str, object]]]:
    years: dict[str, list[dict[str, object]]] = {}
    for record in recs.values():
        years.setdefault(str(record["published"])[:4], []).append(record)
    return dict(sorted(years.items()))


def feed(recs: dict[int, dict[str, object]]) -> str:
    items = ""
    lis = ""
    for cid in FEED:
        r = recs[cid]
        link = f"{r['url']}?maca=sw-rss-sw-all-1119-rdf"
        lis += f'        <rdf:li rdf:resource="{escape(link)}" />\n'
        items += (
            f'  <item rdf:about="{escape(link)}">\n    <title>{escape(str(r["title"]))}</title>\n'
            f"    <link>{escape(link)}</link>\n    <description>{escape(str(r['teaser']))}</description>\n"
            f"    <dc:date>{r['published']}</dc:date>\n    <dc:subject>{escape(str(r['category']))}</dc:subject>\n"
            f"    <dc:language>sw</dc:language>\n    <dwsyn:contentID>{cid}</dwsyn:contentID>\n  </item>\n"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:sy="http://purl.org/rss/modules/syndication/" '
        'xmlns:dwsyn="http://rss.dw.com/syndication/dwsyn/">\n'
        '  <channel rdf:about="https://rss.dw.com/syndication/feeds/rss-kis-all.1119.rdf">\n'
        "    <description>Idhaa ya Kiswahili</description>\n"
        "    <link>https://www.dw.com/s-11588?maca=sw-rss-sw-all-1119-rdf</link>\n"
        "    <title>DW Kiswahili</title>\n    <sy:updatePeriod>hourly</sy:updatePeriod>\n"
        f"    <dc:date>{SNAPSHOT}</dc:date>\n    <items>\n      <rdf:Seq>\n{lis}      </rdf:Seq>\n    </items>\n"
        "  </channel>\n" + items + "</rdf:RDF>\n"
    )


def outputs() -> dict[Path, str]:
    recs = records()
    years = yearly_sitemaps(recs)
    out: dict[Path, str] = {}
    out[HERE / "sitemap.xml"] = sitemap_index(
        [
            ("https://www.dw.com/de/news-sitemap.xml", SNAPSHOT),
            ("https://www.dw.com/de/article-sitemap.xml", SNAPSHOT),
            ("https://www.dw.com/en/news-sitemap.xml", SNAPSHOT),
            ("https://www.dw.com/sw/news-sitemap.xml", SNAPSHOT),
            ("https://www.dw.com/sw/article-sitemap.xml", SNAPSHOT),
        ]
    )
    out[HERE / "sw" / "news-sitemap.xml"] = news_sitemap(recs)
    out[HERE / "sw" / "article-sitemap.xml"] = sitemap_index(
        [
            (f"https://www.dw.com/sw/article-sitemap-{year}.xml", max(lastmod(r) for r in rs))
            for year, rs in years.items()
        ]
    )
    for year, rs in years.items():
        rows = "".join(
            f"  <url>\n    <loc>{escape(str(r['url']))}</loc>\n    <lastmod>{lastmod(r)}</lastmod>\n  </url>\n"
            for r in sorted(rs, key=lambda r: int(str(r["content_id"])))
        )
        out[HERE / "sw" / f"article-sitemap-{year}.xml"] = urlset(rows)
    out[HERE / "rdf" / "rss-kis-all"] = feed(recs)
    return out


def main(argv: list[str]) -> int:
    stale = []
    for path, text in outputs().items():
        if path.exists() and path.read_text("utf-8") == text:
            continue
        stale.append(path)
        if "--check" not in argv:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, "utf-8")
    print(f"{len(outputs())} files, {len(stale)} {'stale' if '--check' in argv else 'written'}")
    return 1 if stale and "--check" in argv else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
