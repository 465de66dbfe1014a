"""Runs one extractor over the fixture pages, offline, and times it; prints JSON on stdout.

Runs in the interpreter of the extractor's own environment (stdlib plus that extractor), so it
imports nothing of the benchmark or, except for ``dwnews``, of the project:

    bench/.venvs/fundus/bin/python bench/peer_extract.py fundus pages.json
    python3 bench/peer_extract.py dwnews pages.json

``pages.json`` is a list of ``{"id", "path", "url", "crawl_date"}`` (written by extraction.py).
For every page: the extracted title, publication date, authors and body paragraphs, and the
milliseconds per call (median of ``--repeat`` warm calls after ``--warmup`` calls, in process,
made in 5 passes over all pages).
A bare ``lxml.html.document_fromstring`` of the same page is timed in the same interpreter, so
each environment's lxml build is calibrated too.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _iso(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _text_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value] if value.strip() else []
    return [str(v) for v in value if str(v).strip()]


def make_dwnews(clean: bool) -> Callable[[dict[str, Any], str], dict[str, Any]]:
    sys.path.insert(0, str(ROOT))
    from dwnews.core.text import clean_record
    from dwnews.pages.article import ArticlePage

    def extract(page: dict[str, Any], html: str) -> dict[str, Any]:
        record = ArticlePage(page["url"], html).record()
        if clean:
            record = clean_record(record)[0]
        return record

    return extract


def dwnews_fields(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": record.get("title"),
        "published": record.get("published"),
        "authors": list(record.get("authors") or []),
        "paragraphs": [p for p in str(record.get("body") or "").split("\n\n") if p.strip()],
    }


def make_fundus() -> Callable[[dict[str, Any], str], dict[str, Any]]:
    from fundus.publishers.de.dw import DWParser

    proxy = DWParser()
    parsers: dict[str, Any] = {}

    def extract(page: dict[str, Any], html: str) -> dict[str, Any]:
        # The parser version valid at the page's date (fundus picks it by crawl date).
        key = page["crawl_date"]
        if key not in parsers:
            parsers[key] = proxy(dt.date.fromisoformat(key))
        return dict(parsers[key].parse(html, error_handling="suppress"))

    return extract


def fundus_fields(parsed: dict[str, Any]) -> dict[str, Any]:
    body = parsed.get("body")
    paragraphs: list[str] = []
    if body is not None:
        # Section headlines and paragraphs; the summary is the teaser, not body text.
        for section in body.sections:
            paragraphs += _text_list(section.headline) + _text_list(section.paragraphs)
    return {
        "title": parsed.get("title"),
        "published": _iso(parsed.get("publishing_date")),
        "authors": _text_list(parsed.get("authors")),
        "paragraphs": paragraphs,
    }


def make_trafilatura() -> Callable[[dict[str, Any], str], Any]:
    import trafilatura

    def extract(page: dict[str, Any], html: str) -> Any:
        return trafilatura.bare_extraction(html, url=page["url"], with_metadata=True)

    return extract


def trafilatura_fields(doc: Any) -> dict[str, Any]:
    if doc is None:
        return {"title": None, "published": None, "authors": [], "paragraphs": []}
    data = doc if isinstance(doc, dict) else doc.as_dict()
    author = data.get("author") or ""
    return {
        "title": data.get("title"),
        "published": _iso(data.get("date")),
        "authors": [a.strip() for a in author.split(";") if a.strip()],
        "paragraphs": [p for p in str(data.get("text") or "").split("\n") if p.strip()],
    }


def make_newspaper() -> Callable[[dict[str, Any], str], Any]:
    from newspaper import Article, Config

    config = Config()
    config.fetch_images = False  # offline: never download the top image
    config.memorize_articles = False

    def extract(page: dict[str, Any], html: str) -> Any:
        article = Article(page["url"], config=config)
        article.download(input_html=html)
        article.parse()
        return article

    return extract


def newspaper_fields(article: Any) -> dict[str, Any]:
    return {
        "title": article.title or None,
        "published": _iso(article.publish_date),
        "authors": list(article.authors or []),
        "paragraphs": [p for p in str(article.text or "").split("\n") if p.strip()],
    }


EXTRACTORS: dict[
    str, tuple[Callable[[], Callable[[dict[str, Any], str], Any]], Callable[[Any], dict[str, Any]], str]
] = {
    "dwnews-page": (lambda: make_dwnews(clean=False), dwnews_fields, "lxml"),
    "dwnews": (lambda: make_dwnews(clean=True), dwnews_fields, "lxml"),
    "fundus": (make_fundus, fundus_fields, "fundus"),
    "trafilatura": (make_trafilatura, trafilatura_fields, "trafilatura"),
    "newspaper4k": (make_newspaper, newspaper_fields, "newspaper4k"),
}


def time_pages(calls: list[Callable[[], Any]], warmup: int, repeat: int, passes: int = 5) -> list[tuple[float, float]]:
    """Median and minimum ms of ``repeat`` calls per page after ``warmup`` calls.

    The calls are made in ``passes`` rounds over all pages, so that a burst of load from another
    process on the machine falls on every page alike instead of on a few.
    """
    for call in calls:
        for _ in range(warmup):
            call()
    samples: list[list[float]] = [[] for _ in calls]
    per_pass = max(1, repeat // passes)
    for _ in range(passes):
        for index, call in enumerate(calls):
            for _ in range(per_pass):
                start = time.perf_counter_ns()
                call()
                samples[index].append((time.perf_counter_ns() - start) / 1e6)
    return [(statistics.median(s), min(s)) for s in samples]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("extractor", choices=sorted(EXTRACTORS), help="which extractor to run in this interpreter")
    parser.add_argument("pages", type=Path, help="JSON list of pages: {id, url, path} (extraction.py writes it)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per page first (default 3)")
    parser.add_argument("--repeat", type=int, default=25, help="timed calls per page, median taken (default 25)")
    args = parser.parse_args()

    import lxml
    import lxml.html

    make, fields_of, package = EXTRACTORS[args.extractor]
    extract = make()
    pages = json.loads(args.pages.read_text("utf-8"))
    htmls = [Path(page["path"]).read_text("utf-8") for page in pages]
    outputs = [fields_of(extract(page, html)) for page, html in zip(pages, htmls, strict=True)]
    gc.collect()
    # The extractor and the bare parse are timed in the same passes, so their ratio holds under load.
    extract_calls = [lambda page=page, html=html: extract(page, html) for page, html in zip(pages, htmls, strict=True)]
    parse_calls = [lambda html=html: lxml.html.document_fromstring(html) for html in htmls]
    both = time_pages(extract_calls + parse_calls, args.warmup, args.repeat)
    timed, bare = both[: len(pages)], both[len(pages) :]
    results = [
        {"id": page["id"], **out, "ms": ms, "ms_min": ms_min, "lxml_ms": lxml_ms}
        for page, out, (ms, ms_min), (lxml_ms, _) in zip(pages, outputs, timed, bare, strict=True)
    ]
    versions = {package: metadata.version(package), "lxml": lxml.__version__, "python": sys.version.split()[0]}
    if args.extractor.startswith("dwnews"):
        versions["dwnews"] = sys.modules["dwnews"].__version__
    json.dump({"extractor": args.extractor, "versions": versions, "pages": results}, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
