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
