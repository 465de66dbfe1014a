"""Faults, bad input and hostile pages, each against a real `scrapy crawl` of the mirror.

The promise: a crawl keeps going, reports what went wrong with the URL, loses no article it could
have had, exports nothing broken, and leaves its state consistent.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from dwnews.mirror import Fault, MirrorServer
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import NOT_POLITICS, POLITICS, SITE, run_crawl

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

# Retries quick enough for tests: backoff 0.2 s, 0.4 s, 0.8 s; a hang counts after 1.5 s.
QUICK = (
    "-s", "DWNEWS_RETRY_BACKOFF=0.2",
    "-s", "DOWNLOAD_TIMEOUT=1.5",
    "-s", "RETRY_TIMES=3",
    "-s", "LOG_LEVEL=INFO",
)  # fmt: skip


def expected(content_id: int) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SITE / "sw" / f"a-{content_id}.expected.json").read_text("utf-8"))
    return data


def downloads(server: MirrorServer, content_id: int) -> int:
    return len([p for p in server.paths() if re.search(rf"/a-{content_id}(\?|$)", p)])


def test_transient_failures_are_retried_with_backoff_and_exported_once(mirror: MirrorServer, tmp_path: Path) -> None:
    mirror.faults.update(
        {
            "sw/a-66808855": Fault("status", status=503, times=2),
            "sw/a-68700001": Fault("status", status=429, retry_after="1", times=1),
            "sw/a-77400001": Fault("status", status=500, times=1),
            "sw/a-65400001": Fault("reset", times=1),
            "sw/a-66900003": Fault("hang", seconds=3, times=1),
            "sw/a-68700002": Fault("truncate", times=1),
        }
    )
    result = run_crawl(mirror.base_url, "politics", tmp_path, *QUICK)
    assert result.returncode == 0, result.log[-3000:]
    exported = Counter(item["content_id"] for item in result.items)
    assert set(exported) == POLITICS and max(exported.values()) == 1
    for item in result.items:
        item.pop("crawled_at")
        assert item == expected(item["content_id"]), "a retried page gives the same record"
    assert downloads(mirror, 66808855) == 3
    assert result.stat("retry/count") >= 6
    assert result.stat("dwnews/retry/waited_seconds") >= 1, "Retry-After: 1 was waited for"
    assert "Retrying" in result.log and "/a-66808855" in result.log


def test_permanent_failures_are_counted_recorded_and_retried_by_the_next_run(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with MirrorServer(SITE) as server:
        server.faults.update(
            {
                "sw/a-66808855": Fault("status", status=503),
                "sw/a-68700001": Fault("status", status=403),
                "sw/a-77400001": Fault("status", status=410),
                "sw/a-65400001": Fault("bad_gzip"),
                "sw/a-66900003": Fault("content_type", content_type="application/pdf"),
                "sw/a-68700002": Fault("huge", size_mb=30),
                "sw/a-66900002": Fault("redirect_loop"),
                "sw/a-77400002": Fault("redirect_offsite"),
            }
        )
        broken = run_crawl(server.base_url, "politics", tmp_path / "1", *QUICK, state_dir=state)
        offsite_requests = [r for r in server.requests if "127.0.0.2" in r.path]
        failures = SqliteLedger(state, read_only=True).failures()
        server.faults.clear()
        healed = run_crawl(server.base_url, "politics", tmp_path / "2", *QUICK, state_dir=state)

    assert broken.returncode == 3, "a run where most pages failed is unhealthy"
    assert broken.items == [], "nothing broken is exported"
    prefix = "dwnews/failed/article/"
    reasons = {key[len(prefix) :]: value for key, value in broken.stats.items() if key.startswith(prefix)}
    assert reasons == {
        "http_503": 1,
        "http_403": 1,
        "http_410": 1,
        "http_404": 1,  # the mirror's dead link
        "bad_content_encoding": 1,
        "too_large": 1,
        "redirect_loop": 1,
        "offsite": 1,
    }
    assert broken.stat("dwnews/article/not_html") == 1
    assert offsite_requests == [], "an off-site redirect is never followed"
    assert {f["reason"] for f in failures} >= {"http_503", "http_403", "http_410", "not_html", "too_large"}
    # paths on the crawled site, never the mirror's host and port: the next run may crawl dw.com
    assert all(f["path"].startswith("/sw/") and f["attempts"] == 1 for f in failures), failures
    for failed_id in (66808855, 68700001, 77400001, 66900003, 68700002):
        assert f"/a-{failed_id}" in broken.log, "the failure is logged with the URL"

    # The next run (faults gone) retries them: every politics article exported, once, in all.
    assert healed.returncode == 0, healed.log[-2000:]
    exported = Counter(item["content_id"] for item in broken.items + healed.items)
    assert set(exported) == POLITICS and max(exported.values()) == 1
    assert healed.stat("dwnews/source/failures/found") >= 7
    # a success ends an article's failure entry; the mirror's dead link failed a second time
    left = SqliteLedger(state, read_only=True).failures()
    assert [(f["reason"], f["attempts"], f["given_up"]) for f in left] == [("http_404", 2, 0)], left


def test_misdeclared_charsets_give_correct_kiswahili(mirror: MirrorServer, tmp_path: Path) -> None:
    mirror.faults.update(
        {
            "sw/a-68700001": Fault("charset", body_charset="cp1252", label_charset="utf-8"),
            "sw/a-77400001": Fault("charset", body_charset="utf-8", label_charset="iso-8859-1"),
            "sw/a-66900003": Fault("charset", body_charset="latin-1", label_charset="utf-8"),
        }
    )
    result = run_crawl(mirror.base_url, "politics", tmp_path, *QUICK)
    assert result.returncode == 0
    by_id = {item["content_id"]: item for item in result.items}
    assert set(by_id) == POLITICS
    for content_id in POLITICS:  # every record as expected, the three re-encoded pages included
        item = by_id[content_id]
        item.pop("crawled_at")
        assert item == expected(content_id)
        assert "Ã" not in item["body"] and "\ufffd" not in item["body"]
    assert '"Tumepiga hatua' in by_id[68700001]["body"], "typographic quotes survived cp1252"
    assert result.stat("dwnews/article/charset/cp1252_labelled_utf8") >= 1
    # w3lib reads an iso-8859-1 label as cp1252, as browsers do
    assert result.stat("dwnews/article/charset/utf8_labelled_cp1252") == 1


def _without(pattern: str) -> Any:
    return lambda html: re.sub(pattern, "", html, flags=re.S)


def test_broken_pages_fall_back_or_are_dropped_never_half_exported(mirror: MirrorServer, tmp_path: Path) -> None:
    state_cut = "window.__APOLLO_STATE__={"
    no_body = r'<div data-tracking-skip="true" data-tracking-name="rich-text".*?</div>'
    no_title = r"<h1>.*?</h1>|<title>.*?</title>|<meta property=\"og:title\"[^>]*>"
    mirror.faults.update(
        {
            # JSON-LD that does not parse: title and dates come from the state instead
            "sw/a-66808855": Fault("transform", transform=lambda h: h.replace('"@type":"NewsArticle"', '"@type":')),
            # state JSON cut off: the DOM gives the body
            "sw/a-68700002": Fault("transform", transform=lambda h: h.replace("window.__APOLLO_STATE__=", state_cut)),
            # no short link on the page: the id in the URL gives it
            "sw/a-68700001": Fault("transform", transform=_without(r'<div class="copy-button-wrapper.*?</div>')),
            # no body anywhere: dropped
            "sw/a-77400001": Fault("transform", transform=_without(no_body)),
            # no title anywhere (not even og:title): dropped
            "sw/a-65400001": Fault("transform", transform=_without(no_title)),
        }
    )
    result = run_crawl(mirror.base_url, "politics", tmp_path, *QUICK)
    by_id = {item["content_id"]: item for item in result.items}
    assert set(by_id) == POLITICS - {77400001, 65400001}
    assert result.stat("dwnews/dropped/missing_body") == 1 and result.stat("dwnews/dropped/missing_title") == 1
    assert result.stat("dwnews/article/jsonld_invalid") == 1 and result.stat("dwnews/article/state_invalid") == 1
    for content_id in (66808855, 68700001):
        item = by_id[content_id]
        item.pop("crawled_at")
        assert item == expected(content_id)
    assert by_id[68700002]["body"] == expected(68700002)["body"]
    assert all(item["title"] and item["body"] and item["short_id"] and item["published"] for item in result.items)
    assert "Dropped" in result.log and "/a-77400001" in result.log


def test_non_dw_hosts_are_never_requested(mirror: MirrorServer, tmp_path: Path) -> None:
    result = run_crawl(mirror.base_url, "article", tmp_path, "-a", "url=https://example.org/sw/x/a-1")
    assert result.returncode == 2
    assert mirror.paths() == []
    assert NOT_POLITICS  # the mirror's other articles are not touched either
