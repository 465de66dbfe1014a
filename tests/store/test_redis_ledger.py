"""The Redis ledger against a real redis-server: values read back are checked one by one, and a
foreign value costs only its own article (issue 21)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dwnews.commands.state import main as state_main
from dwnews.store.ledger import Answer, Claim
from dwnews.store.redis import ARTICLES_KEY, FAILURES_KEY, RECORDS_KEY, RedisLedger
from tests.helpers import real_records

pytestmark = pytest.mark.e2e  # a real redis-server

FOREIGN = ("garbage", "[1, 2]", "5", '{"status": 5}', '{"status": "exported"')


def exported_by_a_worker(ledger: RedisLedger, records: list[dict[str, object]]) -> set[str]:
    """What a worker does: take each article, stage its record, fence the finished feed."""
    for record in records:
        assert ledger.take(str(record["short_id"]), f"request {record['short_id']}") == 1
        assert ledger.stage(dict(record)) is None
    return ledger.fence(Path("/tmp/feed.jsonl"), [str(r["short_id"]) for r in records])


def test_a_foreign_value_in_the_articles_hash_costs_only_its_own_article(redis_url: str) -> None:
    """`HSET dwnews:articles 4WK2B garbage`: claim_many took it as unknown, the take script's HEXISTS
    as known (never downloaded), the commit script's cjson.decode raised (the crawl stopped on a
    storage fault). Now each is unknown everywhere: taken, downloaded, exported, its value replaced."""
    records = real_records()[: len(FOREIGN)]
    ledger = RedisLedger(redis_url, "dwnews:test")
    ledger.start_run()
    try:
        for record, value in zip(records, FOREIGN, strict=True):
            ledger.redis.hset(ARTICLES_KEY, record["short_id"], value)
        claims = [Claim(r["short_id"], r["content_id"]) for r in records]
        assert ledger.claim_many(claims) == {r["short_id"]: Answer.NEW for r in records}
        accepted = exported_by_a_worker(ledger, records)
        assert accepted == {r["short_id"] for r in records}, "committed, foreign values and all"
        for record in records:
            entry = json.loads(ledger.redis.hget(ARTICLES_KEY, record["short_id"]))
            assert entry["status"] == "exported", "the foreign value was replaced by the export"
        assert ledger.claim_many(claims) == {r["short_id"]: Answer.EXPORTED for r in records}
        assert {r["short_id"] for r in ledger.records()} == {r["short_id"] for r in records}
    finally:
        ledger.finish_run()
        ledger.close()


def test_a_foreign_value_does_not_block_a_not_politics_verdict(redis_url: str) -> None:
    ledger = RedisLedger(redis_url, "dwnews:test")
    try:
        ledger.redis.hset(ARTICLES_KEY, "4boRv", "garbage")
        ledger.mark_skipped("4boRv", 68117411, "not_politics")
        assert ledger.claim_many([Claim("4boRv", 68117411)]) == {"4boRv": Answer.SKIPPED}
        assert ledger.counts() == {"skipped": 1}
    finally:
        ledger.close()


def test_a_foreign_value_in_the_records_hash_costs_only_itself(
    redis_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bad `dwnews:records` value made `export` exit 2; now the export writes every good record,
    names the bad ones in one line and exits 4."""
    records = real_records()
    ledger = RedisLedger(redis_url, "dwnews:test")
    ledger.start_run()
    try:
        exported_by_a_worker(ledger, records)
        ledger.redis.hset(RECORDS_KEY, records[0]["short_id"], "garbage")
        ledger.redis.hset(RECORDS_KEY, records[1]["short_id"], json.dumps({**records[1], "images": "x"}))
        ledger.redis.hset(RECORDS_KEY, records[2]["short_id"], json.dumps(records[3]))  # another's record
        said: list[tuple[str, str]] = []
        kept = list(ledger.records(bad=lambda short_id, why: said.append((short_id, why))))
        assert {r["short_id"] for r in kept} == {r["short_id"] for r in records[3:]}
        assert sorted(s for s, _ in said) == sorted(r["short_id"] for r in records[:3])
    finally:
        ledger.finish_run()
        ledger.close()
    target = tmp_path / "corpus.jsonl"
    assert state_main(["--redis-url", redis_url, "export", "-O", str(target)]) == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "3 stored records cannot be read back" in err and "Traceback" not in err
    assert len(target.read_text("utf-8").splitlines()) == len(records) - 3


def test_a_foreign_failure_entry_is_no_failure(redis_url: str) -> None:
    ledger = RedisLedger(redis_url, "dwnews:test", max_failures=3)
    try:
        ledger.redis.hset(FAILURES_KEY, "4WK2B", "garbage")
        ledger.redis.hset(FAILURES_KEY, "5FLOV", json.dumps({"path": "/sw/x/a-77538843", "attempts": 1}))
        assert ledger.failures_to_retry() == [("5FLOV", "/sw/x/a-77538843")]
        assert ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_503").retried, "counted afresh"
        assert [f["short_id"] for f in ledger.failures()] == ["4WK2B", "5FLOV"]
    finally:
        ledger.close()


def test_a_queue_entry_that_says_revision_cannot_export_an_article_again(redis_url: str) -> None:
    """`dwnews_revision: true` in a queue entry used to take an exported article unconditionally (and
    the commit replaced its record: a second export). It is believed only when this crawl follows
    revisions and a sitemap gave a date newer than the export's."""
    (record,) = real_records()[:1]
    short_id = str(record["short_id"])
    plain = RedisLedger(redis_url, "dwnews:test")
    following = RedisLedger(redis_url, "dwnews:test", revisions=True)
    try:
        plain.start_run()
        assert exported_by_a_worker(plain, [record]) == {short_id}
        assert plain.take(short_id, "planted entry", revision=True) == 0, "exported: known, not taken"
        assert following.take(short_id, "planted entry", revision=True) == 0, "no newer date: known"
        claim = Claim(short_id, int(record["content_id"]), lastmod="2099-01-01T00:00:00+00:00")
        assert following.claim_many([claim]) == {short_id: Answer.REVISED}
        assert following.take(short_id, "the revision's request", revision=True) == 1
    finally:
        for ledger in (plain, following):
            ledger.finish_run()
            ledger.close()


@pytest.mark.parametrize("beat", ["garbage", "", "1e999", "nan", "99999999999", "-5"])
def test_a_heartbeat_that_is_no_time_makes_its_worker_dead_not_the_crawl_stuck(redis_url: str, beat: str) -> None:
    """A foreign value in the workers hash raised ValueError in live_workers (every worker's idle
    check) and a Lua error in the take script; now that worker counts as dead and its claim is taken."""
    ledger = RedisLedger(redis_url, "dwnews:test", worker_timeout=60)
    try:
        ledger.start_run()
        ledger.redis.hset(ledger.workers_key, "ghost", beat)
        ledger.redis.hset(ledger.claims_key, "4WK2B", "ghost")
        assert "ghost" not in ledger.live_workers() and "ghost" in ledger.dead_workers()
        assert ledger.take("4WK2B", "request 4WK2B") == 1
        assert ledger.redis.hget(ledger.claims_key, "4WK2B") == ledger.worker
    finally:
        ledger.finish_run()
        ledger.close()


def test_recovering_a_dead_worker_leaves_a_claim_another_worker_has_made_since(redis_url: str) -> None:
    ledger = RedisLedger(redis_url, "dwnews:test", worker_timeout=60)
    try:
        ledger.start_run()
        ledger.redis.hset(ledger.workers_key, "dead", "1")
        ledger.redis.hset(ledger.inflight_key("dead"), "a:4WK2B", "request 4WK2B")
        ledger.redis.hset(ledger.inflight_key("dead"), "a:5FLOV", "request 5FLOV")
        ledger.redis.hset(ledger.claims_key, mapping={"4WK2B": "alive", "5FLOV": "dead"})
        assert ledger.recover("dwnews:test:requests") == 2
        assert sorted(ledger.redis.lrange("dwnews:test:requests", 0, -1)) == ["request 4WK2B", "request 5FLOV"]
        assert ledger.redis.hgetall(ledger.claims_key) == {"4WK2B": "alive"}
    finally:
        ledger.finish_run()
        ledger.close()


def test_a_request_is_always_somewhere_whenever_a_worker_dies(redis_url: str) -> None:
    """A worker killed between its dupefilter's check and the push (scrapy-redis: two calls) left
    the fingerprint seen and the request nowhere; one killed between the pop and recording the
    request in flight had it nowhere either. Each step now leaves it where a live worker finds it."""
    queue, seen = "dwnews:test:requests", "dwnews:test:dupefilter"
    dying = RedisLedger(redis_url, "dwnews:test", worker_timeout=60)
    living = RedisLedger(redis_url, "dwnews:test", worker_timeout=60)
    try:
        dying.heartbeat()
        assert dying.push_new(seen, queue, "fp-1", b"request 1") is True
        assert dying.push_new(seen, queue, "fp-1", b"request 1 again") is False, "seen: not queued twice"
        assert dying.push_new(seen, queue, "", b"request 1, dont_filter") is True
        assert dying.redis.llen(queue) == 2
        assert dying.pop(queue) == b"request 1"
        # killed here: the request is off the queue, not yet recorded in flight
        assert dying.redis.lrange(dying.taking_key(), 0, -1) == ["request 1"]
        dying.redis.hset(dying.workers_key, dying.worker, "1")  # its heartbeat stops
        assert living.recover(queue) == 1
        assert sorted(living.redis.lrange(queue, 0, -1)) == ["request 1", "request 1, dont_filter"]
        assert not living.redis.exists(dying.taking_key()) and living.recover(queue) == 0, "recovered once"
        taken = living.pop(queue)
        assert taken is not None and living.redis.llen(living.taking_key()) == 1
        living.page_taken("fp", taken)  # in flight and off the taking list in one step: recovered once
        assert living.redis.llen(living.taking_key()) == 0
    finally:
        for ledger in (dying, living):
            ledger.finish_run()
            ledger.close()
