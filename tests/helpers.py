"""What the tests share, in one module (no test module imports another): the mirror's facts, a real
`scrapy crawl` runner, an in-process crawler, real records, and the text-quality measurements.

The text-quality part is shared with bench/text_quality.py too (which prints the table in
bench/README.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from dwnews import settings as project_settings
from dwnews.core.keys import Meta
from dwnews.core.text import clean_paragraphs, collapse_whitespace, pop_credit_lines
from dwnews.crawl.incremental import IncrementalMiddleware
from dwnews.mirror import DEFAULT_SITE, PROJECT_ROOT, MirrorServer, crawl_command, free_port
from dwnews.spiders.politics import PoliticsSpider
from dwnews.store.ledger import Claim
from dwnews.store.sqlite import SqliteLedger

__all__ = ["PROJECT_ROOT", "free_port"]

TESTS = Path(__file__).parent
SITE = DEFAULT_SITE
REFERENCE_PAGES = TESTS / "fixtures" / "dw-reference" / "pages"
EXPECTED = SITE / "sw"
FAST = ("-s", "LOG_LEVEL=INFO")

# ----- the mirror's Kiswahili articles (tests/site/README.md) --------------------------------------------
POLITICS = {66808855, 68700001, 77400001, 65400001, 66900003, 68700002}
NOT_POLITICS = {66900002, 77400002}
ROBOTS_DISALLOWED = {66900001}  # politics, but only linked from /sw/kumbukumbu/ which robots.txt disallows
MISSING = 66899999  # linked from the home page, 404
JS_ONLY = {68800001, 68800002}  # politics, linked only by the JavaScript list of s-12762 (test_rendering.py)
ALL_POLITICS_PAGES = POLITICS | ROBOTS_DISALLOWED | JS_ONLY


def expected_record(language: str, content_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITE / language / f"a-{content_id}.expected.json").read_text("utf-8"))
    return data


def requested_ids(server: MirrorServer, kind: str = "a") -> list[int]:
    ids = []
    for path in server.paths():
        match = re.search(rf"/{kind}-(\d+)(?:\?|$)", path)
        if match:
            ids.append(int(match.group(1)))
    return ids


def politics_ids(site: Any) -> set[int]:
    """A synthetic site's politics articles: those made from a politics page of the mirror."""
    return {cid for cid in site.ids() if site.template_id(cid) in ALL_POLITICS_PAGES}


def real_records() -> list[dict[str, Any]]:
    """Records as the crawl exports them: the expected records of the mirror's real pages."""
    records = []
    for path in sorted(EXPECTED.glob("*.expected.json")):
        record = json.loads(path.read_text("utf-8"))
        if isinstance(record, dict) and record.get("short_id") and record.get("published"):
            records.append(record)
    assert len(records) >= 4, "the fixtures hold real expected records"
    return records


def export_run(ledger: SqliteLedger, feed: Path, records: list[dict[str, Any]]) -> None:
    """What a crawl does: claim, stage, write the feed, record it."""
    ledger.claim_many(Claim(r["short_id"], r["content_id"]) for r in records)
    for record in records:
        ledger.stage(record)
    ledger.feed_opened(feed, feed.with_name(feed.name + ".part"), "jsonlines")
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    ledger.feed_stored(feed, [r["short_id"] for r in records])


def exported_by_an_earlier_run(state_dir: Path, records: list[dict[str, Any]]) -> None:
    earlier = SqliteLedger(state_dir, run_id="earlier", revisions=True)
    earlier.start_run()
    export_run(earlier, state_dir / "earlier.jsonl", records)
    earlier.finish_run()
    earlier.close()


def wait_until(condition: Callable[[], bool], timeout: float = 120, what: str = "progress") -> None:
    """Wait for progress (a file, a request the mirror saw), polling; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {timeout} s")
        time.sleep(0.02)


# ----- a real `scrapy crawl` --------------------------------------------------------------------------------


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stats: dict[str, Any]
    log: str

    def stat(self, key: str) -> int:
        return int(self.stats.get(key, 0))


def crawl_args(base_url: str, spider: str, run_dir: Path, *args: str, state_dir: Path | None = None) -> list[str]:
    """The `scrapy crawl` command of one test run: feed, stats file and state under ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    return crawl_command(
        base_url,
        spider,
        [
            "-O",
            str(run_dir / "items.jsonl"),
            "-s",
            f"DWNEWS_STATS_FILE={run_dir / 'stats.json'}",
            "-s",
            f"DWNEWS_STATE_DIR={state_dir or run_dir / 'state'}",
            *args,
        ],
    )


def read_result(run_dir: Path, returncode: int, log: str) -> CrawlResult:
    feed, stats_file = run_dir / "items.jsonl", run_dir / "stats.json"
    items = [json.loads(line) for line in feed.read_text("utf-8").splitlines()] if feed.exists() else []
    stats = json.loads(stats_file.read_text("utf-8")) if stats_file.exists() else {}
    return CrawlResult(returncode, items, stats, log)


def run_crawl(
    base_url: str, spider: str, run_dir: Path, *args: str, state_dir: Path | None = None, timeout: float = 120
) -> CrawlResult:
    """Run the real `scrapy crawl` in a subprocess against ``base_url``; read its feed and stats."""
    command = crawl_args(base_url, spider, run_dir, *args, state_dir=state_dir)
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    return read_result(run_dir, done.returncode, done.stderr)


# ----- an in-process crawler on the mirror's saved pages ---------------------------------------------------

BASE = "http://127.0.0.1:8999"
HOME = f"{BASE}/sw/idhaa-ya-kiswahili/s-11588"


def project_values(**overrides: Any) -> dict[str, Any]:
    """The project's settings (dwnews/settings.py) with overrides, as a dict."""
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update(overrides)
    return values


def make_crawler(tmp_path: Path, **overrides: Any) -> tuple[Crawler, PoliticsSpider, IncrementalMiddleware]:
    """A crawler with the project's settings and the add-on's components (get_crawler builds its
    extensions; nothing is started), its politics spider and incremental middleware; the ledger in
    tmp_path."""
    values = project_values(**{"DWNEWS_BASE_URL": BASE, "DWNEWS_STATE_DIR": str(tmp_path / "state"), **overrides})
    crawler = get_crawler(PoliticsSpider, values)
    spider = PoliticsSpider.from_crawler(crawler)
    assert isinstance(spider, PoliticsSpider)
    crawler.spider = spider
    return crawler, spider, IncrementalMiddleware.from_crawler(crawler)


def page(url: str, name: str, request: Request | None = None) -> HtmlResponse:
    body = (SITE / "sw" / name).read_bytes()
    return HtmlResponse(url, body=body, encoding="utf-8", request=request or Request(url))


def article_response(request: Request) -> HtmlResponse:
    content_id = request.meta[Meta.CONTENT_ID]
    name = f"a-{content_id}.html"
    if not (SITE / "sw" / name).exists():
        pytest.skip(f"no saved page for {content_id}")
    return page(request.url, name, request)


def stat(crawler: Crawler, key: str) -> int:
    assert crawler.stats is not None
    return int(crawler.stats.get_value(key, 0))


# ----- text quality (see bench/text_quality.py) ------------------------------------------------------------

SENTENCES = TESTS / "fixtures" / "text-quality" / "kiswahili_german_names.txt"
CREDIT_LINES = TESTS / "fixtures" / "dw-credit-lines" / "lines.txt"
A_CAPTION = "Wananchi wakisubiri matokeo ya uchaguzi mjini NairobiPicha: Simon Maina/AFP"

#: drops(paragraphs, before_caption) -> the paragraphs the cleaning removed
Dropper = Callable[[list[str], bool], list[str]]


def kiswahili_paragraphs() -> list[str]:
    """Every paragraph of every Kiswahili fixture's expected (cleaned) body: real article text."""
    found: list[str] = []
    for path in sorted((SITE / "sw").glob("a-*.expected.json")):
        record = json.loads(path.read_text("utf-8"))
        found += [p for p in str(record.get("body") or "").split("\n\n") if p.strip()]
        found += [record["teaser"]] if record.get("teaser") else []
    return found


def german_name_sentences() -> list[str]:
    return [line for line in SENTENCES.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]


def image_texts() -> tuple[list[str], list[str]]:
    """The alt texts and the captions (credit included, as a reader view shows them) of every
    image of the real DW pages we hold (the mirror's pages, the reference pages)."""
    alts: list[str] = []
    captions: list[str] = []
    for path in sorted([*SITE.glob("*/*.html"), *REFERENCE_PAGES.glob("*.html")]):
        tree = lxml.html.parse(str(path)).getroot()
        for alt in tree.xpath("//img/@alt"):
            text = collapse_whitespace(str(alt))
            if len(text) > 3 and text not in alts:
                alts.append(text)
        for caption in tree.xpath("//figcaption"):
            text = collapse_whitespace(caption.text_content())
            if len(text) > 3 and text not in captions:
                captions.append(text)
    return alts, captions


def credit_lines() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(language, line) of real credit lines, and of real body sentences with a colon."""
    credit_list: list[tuple[str, str]] = []
    bodies: list[tuple[str, str]] = []
    if not CREDIT_LINES.exists():
        return credit_list, bodies
    for line in CREDIT_LINES.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == "body":
            bodies.append((parts[1], parts[2]))
        elif len(parts) == 2 and not line.startswith("#"):
            credit_list.append((parts[0], parts[1]))
    return credit_list, bodies


def current_drops(paragraphs: list[str], before_caption: bool) -> list[str]:
    """What today's cleaning (a text copy, no markup) removes of these paragraphs, each judged on
    its own, or each followed by an image caption as a reader view prints it."""
    dropped = []
    for paragraph in paragraphs:
        given = [paragraph, A_CAPTION] if before_caption else [paragraph]
        kept = clean_paragraphs(given, kiswahili=True, credit_lines=False).paragraphs
        if collapse_whitespace(paragraph) not in kept:
            dropped.append(paragraph)
    return dropped


def credit_misses(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Credit lines left in the body by today's rules (one line at the end of a body)."""
    missed = []
    for language, line in lines:
        body = ["Aya ya kwanza ya habari.", line]
        found = pop_credit_lines(body)
        if len(body) != 1 or not found.removed:
            missed.append((language, line))
    return missed


def table(drops: Dropper, credit_miss: Callable[[list[tuple[str, str]]], list[Any]] = credit_misses) -> dict[str, Any]:
    """Every figure of the text-quality table for one version of the cleaning."""
    paragraphs = kiswahili_paragraphs()
    sentences = german_name_sentences()
    alts, captions = image_texts()
    credit_list, bodies = credit_lines()
    result: dict[str, Any] = {
        "kiswahili_paragraphs": len(paragraphs),
        "false_drops_paragraphs": len(drops(paragraphs, False)),
        "false_drops_paragraphs_before_caption": len(drops(paragraphs, True)),
        "german_name_sentences": len(sentences),
        "false_drops_sentences": len(drops(sentences, False)),
        "false_drops_sentences_before_caption": len(drops(sentences, True)),
        "alt_texts": len(alts),
        "missed_alt_texts": len(alts) - len(drops(alts, False)),
        "missed_alt_texts_before_caption": len(alts) - len(drops(alts, True)),
        "captions": len(captions),
        "missed_captions": len(captions) - len(drops(captions, False)),
        "credit_lines": len(credit_list),
        "body_lines_with_colon": len(bodies),
    }
    by_language: dict[str, list[int]] = {}
    missed = credit_miss(credit_list)
    for language, _ in credit_list:
        by_language.setdefault(language, [0, 0])[0] += 1
    for language, _ in missed:
        by_language[language][1] += 1
    result["credit_lines_by_language"] = by_language
    result["missed_credit_lines"] = len(missed)
    result["false_credit_lines"] = len(bodies) - len(credit_miss(bodies))
    return result


def page_image_text_misses() -> tuple[int, int]:
    """(image texts, missed): each Kiswahili page's own alt texts and captions put into its body as
    paragraphs (as a page whose markup printed them there would be read): how many stay."""
    from dwnews.core.encoding import decode_html
    from dwnews.core.text import clean_record
    from dwnews.pages.article import ArticlePage

    total = missed = 0
    for path in sorted((SITE / "sw").glob("a-*.html")):
        html, _ = decode_html(path.read_bytes(), "utf-8")
        tree = lxml.html.fromstring(html)
        own = [collapse_whitespace(str(alt)) for alt in tree.xpath("//img/@alt")]
        own += [collapse_whitespace(c.text_content()) for c in tree.xpath("//figcaption")]
        for text in dict.fromkeys(t for t in own if len(t) > 3):
            page = ArticlePage(f"https://www.dw.com/sw/x/{path.stem}", html)
            record = page.record()
            page.body.paragraphs.insert(1, text)
            cleaned, _ = clean_record(record, parts=page.body)
            total += 1
            missed += text in cleaned["body"].split("\n\n")
    return total, missed
