"""Feed storage in-process: batches stored as they fill, and the private APIs this relies on.

Scrapy and scrapy-redis are pinned (requirements.txt); these tests fail if a private name we use
changes, so that an upgrade shows it at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.extensions.feedexport import FeedExporter
from scrapy.utils.test import get_crawler

from dwnews import settings as project_settings
from dwnews.core.outcome import StorageError
from dwnews.crawl.feeds import PromptBatchFeedExporter
from dwnews.crawl.ledger import LedgerKeeper, ledger_keeper
from dwnews.spiders.politics import PoliticsSpider
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import real_records


@pytest.fixture(autouse=True)
def reactor_installed() -> None:
    """Scrapy's feed exporter asks which reactor runs; an in-process test has none running, so the
    default one is installed (its coroutines then run synchronously, as far as they can)."""
    from scrapy.utils.reactor import is_reactor_installed

    if not is_reactor_installed():
        from twisted.internet import reactor  # noqa: F401 -- installs the default reactor


def crawler_with(tmp_path: Path, **overrides: Any) -> Any:
    values = {name: getattr(project_settings, name) for name in dir(project_settings) if name.isupper()}
    values.update({"DWNEWS_BASE_URL": "http://127.0.0.1:8999", "DWNEWS_STATE_DIR": str(tmp_path / "state")})
    values.update(overrides)
    crawler = get_crawler(PoliticsSpider, values)
    crawler.spider = PoliticsSpider.from_crawler(crawler)
    return crawler


def opened(tmp_path: Path, **overrides: Any) -> tuple[Any, PromptBatchFeedExporter, LedgerKeeper, SqliteLedger]:
    """A crawler whose ledger and feeds are open, as when its spider has opened."""
    crawler = crawler_with(tmp_path, **overrides)
    exporter = crawler.get_extension(PromptBatchFeedExporter)
    assert exporter is not None
    owner = ledger_keeper(crawler)
    owner.spider_opened(crawler.spider)
    exporter.open_spider(crawler.spider)
    ledger = owner.ledger
    assert isinstance(ledger, SqliteLedger)
    return crawler, exporter, owner, ledger


def scrape(crawler: Any, exporter: PromptBatchFeedExporter, ledger: SqliteLedger, records: list[Any]) -> None:
    """What a crawl does with each record that leaves the pipelines."""
    for record in records:
        ledger.stage(record)
        exporter.item_scraped(record, crawler.spider)


def test_feed_exporter_still_has_the_private_list_we_use(tmp_path: Path) -> None:
    crawler = get_crawler(settings_dict={"FEEDS": {str(tmp_path / "f.jsonl"): {"format": "jsonlines"}}})
    exporter = crawler.get_extension(FeedExporter)
    assert exporter is not None and isinstance(exporter._pending_close_coros, list)


def test_a_full_batch_is_stored_and_recorded_at_once(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    crawler, exporter, _, ledger = opened(
        tmp_path,
        FEEDS={str(feeds / "batch-%(batch_id)d.jsonl"): {"format": "jsonlines"}},
        FEED_EXPORT_BATCH_ITEM_COUNT=2,
    )
    records = real_records()[:3]
    scrape(crawler, exporter, ledger, records)
    first = feeds / "batch-1.jsonl"
    assert first.exists(), "the first batch was stored when it filled, not at the end of the crawl"
    assert [json.loads(line)["short_id"] for line in first.read_text("utf-8").splitlines()] == [
        r["short_id"] for r in records[:2]
    ]
    assert {r["short_id"] for r in ledger.records()} == {r["short_id"] for r in records[:2]}
    assert not (feeds / "batch-2.jsonl").exists() and len(list(feeds.glob(".batch-2.jsonl.*.part"))) == 1
    for pending in exporter._pending_close_coros:  # the crawl would await them when it closes
        pending.close()


def test_scrapy_redis_queue_still_encodes_requests_as_we_use_it(tmp_path: Path) -> None:
    from scrapy_redis.queue import FifoQueue

    crawler = crawler_with(tmp_path)
    queue = FifoQueue(server=None, spider=crawler.spider, key="dwnews:test:requests")
    request = Request("http://127.0.0.1:8999/sw/x/a-66808855", meta={"dwnews_page": "article"})
    encoded = queue._encode_request(request)
    decoded = queue._decode_request(encoded)
    assert decoded.url == request.url and decoded.meta["dwnews_page"] == "article"


def test_scrapys_engine_still_has_the_next_call_an_idle_worker_schedules() -> None:
    """An idle Redis worker asks the engine to look again in a second (``_slot.nextcall``)."""
    import inspect

    from scrapy.core.engine import _Slot
    from scrapy.utils.reactor import CallLaterOnce

    assert "nextcall" in inspect.signature(_Slot.__init__).parameters
    assert "delay" in inspect.signature(CallLaterOnce.schedule).parameters


def test_a_ledger_fault_after_the_rename_leaves_the_feed_for_the_next_run_to_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = tmp_path / "siasa.jsonl"
    crawler, exporter, owner, ledger = opened(tmp_path, FEEDS={str(feed): {"format": "jsonlines"}})
    records = real_records()[:2]
    scrape(crawler, exporter, ledger, records)
    (slot,) = exporter.slots
    slot.finish_exporting()

    def locked(*_: Any) -> None:
        raise StorageError(ledger.path, "database is locked")

    monkeypatch.setattr(ledger, "feed_stored", locked)
    with pytest.raises(StorageError):
        slot.storage.store(slot.file)
    assert owner.stopped and feed.exists(), "the finished feed stays in place"
    owner.engine_stopped()  # the run ends as faulted: its claims and records wait for recovery

    later = SqliteLedger(tmp_path / "state", run_id="next")
    assert later.start_run()["feeds_committed"] == 1
    assert {r["short_id"] for r in later.records()} == {r["short_id"] for r in records}


def test_a_feed_scrapy_does_not_store_leaves_no_part_behind(tmp_path: Path) -> None:
    """No items and FEED_STORE_EMPTY off: Scrapy never stores the feed, so its temporary file and
    lock (made at start) are removed when the spider closes, and the ledger's row is not left 'writing'."""
    from scrapy.utils.defer import deferred_from_coro

    feed = tmp_path / "empty.jsonl"
    crawler, exporter, _, ledger = opened(tmp_path, FEEDS={str(feed): {"format": "jsonlines"}}, FEED_STORE_EMPTY=False)
    (part,) = tmp_path.glob(".empty.jsonl.*.part")
    assert (tmp_path / ".empty.jsonl.lock").exists()
    closed = deferred_from_coro(exporter.close_spider(crawler.spider))
    assert closed.called, "nothing to wait for"
    assert not part.exists() and not feed.exists() and not (tmp_path / ".empty.jsonl.lock").exists()
    row = ledger.db.execute("SELECT status FROM feeds WHERE path = ?", (str(feed),)).fetchone()
    assert row == ("aborted",)


def test_appending_to_a_feed_copies_it_into_the_temporary_file_first(tmp_path: Path) -> None:
    """`-o siasa.jsonl`: the finished feed holds the old lines and the new ones; the file is
    replaced whole (never written in place), and keeps its mode."""
    from scrapy.utils.defer import deferred_from_coro

    feed = tmp_path / "siasa.jsonl"
    old = json.dumps({"short_id": "old"}) + "\n"
    feed.write_text(old)
    feed.chmod(0o600)
    crawler, exporter, _, ledger = opened(tmp_path, FEEDS={str(feed): {"format": "jsonlines", "overwrite": False}})
    (temp,) = tmp_path.glob(".siasa.jsonl.*.part")
    assert temp.read_text() == old, "copied at start"
    records = real_records()[:2]
    scrape(crawler, exporter, ledger, records)
    deferred_from_coro(exporter.close_spider(crawler.spider))
    lines = feed.read_text("utf-8").splitlines()
    assert [json.loads(line)["short_id"] for line in lines] == ["old", *(r["short_id"] for r in records)]
    assert feed.stat().st_mode & 0o777 == 0o600 and not list(tmp_path.glob(".siasa.jsonl.*"))
    assert {r["short_id"] for r in ledger.records()} == {r["short_id"] for r in records}
    recorded = {row[0] for row in ledger.db.execute("SELECT short_id FROM articles WHERE status = 'exported'")}
    assert recorded == {r["short_id"] for r in records}, "the lines already there are not this run's exports"
