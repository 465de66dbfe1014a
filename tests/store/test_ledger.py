"""The SQLite article ledger: claims, records kept, recovery after a killed run, faults, the CLI."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dwnews.core.outcome import StorageError
from dwnews.store.feedfiles import short_ids_in_feed
from dwnews.store.ledger import Answer, Claim
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import export_run, exported_by_an_earlier_run, real_records


def test_claim_export_skip_and_forget(tmp_path: Path) -> None:
    run = SqliteLedger(tmp_path, run_id="run-1")
    run.start_run()
    answers = run.claim_many([Claim("4WK2B", 66808855), Claim("4boRv", 68117411)])
    assert answers == {"4WK2B": Answer.NEW, "4boRv": Answer.NEW}
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}  # its own claim
    run.mark_skipped("4boRv", 68117411, "not_politics")
    run.stage({"short_id": "4WK2B", "content_id": 66808855, "published": "2023-09-14T10:12:00Z"})
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"short_id": "4WK2B"}) + "\n")
    run.feed_opened(feed, tmp_path / "feed.jsonl.part", "jsonlines")
    assert run.feed_stored(feed, ["4WK2B"]) == 1
    run.finish_run()

    later = SqliteLedger(tmp_path, run_id="run-2")
    later.start_run()
    claims = [Claim("4WK2B", 66808855), Claim("4boRv", 68117411)]
    assert later.claim_many(claims) == {"4WK2B": Answer.EXPORTED, "4boRv": Answer.SKIPPED}
    assert later.counts() == {"exported": 1, "skipped": 1}
    assert [r["short_id"] for r in later.records()] == ["4WK2B"], "the record is kept"
    assert later.forget(["4WK2B"]) == 1
    assert later.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}
    later.finish_run()
    assert later.counts() == {"skipped": 1}, "unfinished claims are released when a run ends"


def test_records_are_kept_ordered_and_sliced(tmp_path: Path) -> None:
    records = real_records()
    ledger = SqliteLedger(tmp_path, run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "f.jsonl", records)
    kept = list(ledger.records())
    assert kept == sorted(records, key=lambda r: (r["published"], r["short_id"])), "whole records, by published"
    days = sorted(r["published"][:10] for r in records)
    since, until = days[1], days[-2]
    sliced = list(ledger.records(since=since, until=until))
    assert sliced and all(since <= r["published"][:10] <= until for r in sliced)
    assert len(sliced) == sum(1 for d in days if since <= d <= until)


def test_a_revision_replaces_the_stored_record(tmp_path: Path) -> None:
    record = real_records()[0]
    exported_by_an_earlier_run(tmp_path, [record])
    later = SqliteLedger(tmp_path, run_id="r2", revisions=True)
    later.start_run()
    newer = {**record, "modified": "2099-01-01T00:00:00Z", "title": "Toleo jipya"}
    answer = later.claim_many([Claim(record["short_id"], record["content_id"], "2099-01-01T00:00:00Z")])
    assert answer == {record["short_id"]: Answer.REVISED}
    later.stage(newer)
    later.feed_opened(tmp_path / "b.jsonl", tmp_path / "b.jsonl.part", "jsonlines")
    later.feed_stored(tmp_path / "b.jsonl", [record["short_id"]])
    assert [r["title"] for r in later.records()] == ["Toleo jipya"], "one record per article: the latest"


def _claim_and_die(state_dir: str, die_after_rename: bool) -> None:
    run = SqliteLedger(Path(state_dir), run_id="dying")
    run.start_run()
    run.claim_many([Claim("4WK2B", 66808855), Claim("5FLOV", 77538843)])
    run.stage({"short_id": "4WK2B", "content_id": 66808855, "published": "2023-09-14", "title": "T"})
    feed, part = Path(state_dir) / "f.jsonl", Path(state_dir) / "f.jsonl.part"
    run.feed_opened(feed, part, "jsonlines")
    part.write_text(json.dumps({"short_id": "4WK2B"}) + "\n")
    if die_after_rename:
        os.replace(part, feed)
    os._exit(0)  # no finish_run, no commit: as if killed


def _die(tmp_path: Path, after_rename: bool) -> None:
    process = multiprocessing.get_context("spawn").Process(target=_claim_and_die, args=(str(tmp_path), after_rename))
    process.start()
    process.join(30)
    assert process.exitcode == 0


def test_a_live_claim_blocks_other_runs_and_a_dead_one_is_released(tmp_path: Path) -> None:
    live = SqliteLedger(tmp_path, run_id="live")
    live.start_run()
    assert live.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}
    other = SqliteLedger(tmp_path, run_id="other")
    other.start_run()
    assert other.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.CLAIMED_ELSEWHERE}
    live.finish_run()
    assert other.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}


def test_recovery_discards_an_unfinished_part_file(tmp_path: Path) -> None:
    _die(tmp_path, after_rename=False)
    assert (tmp_path / "f.jsonl.part").exists()
    run = SqliteLedger(tmp_path, run_id="next")
    recovered = run.start_run()
    assert recovered == {
        "dead_runs": 1,
        "claims_released": 2,
        "feeds_committed": 0,
        "parts_removed": 1,
        "failures_imported": 0,
    }
    assert not (tmp_path / "f.jsonl.part").exists() and not (tmp_path / "f.jsonl").exists()
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}
    assert list(run.records()) == [], "a staged record of a dead run is not the corpus"


def test_recovery_commits_a_feed_renamed_but_not_recorded_with_its_record(tmp_path: Path) -> None:
    _die(tmp_path, after_rename=True)
    run = SqliteLedger(tmp_path, run_id="next")
    assert run.start_run()["feeds_committed"] == 1
    answers = run.claim_many([Claim("4WK2B", 66808855), Claim("5FLOV", 77538843)])
    assert answers == {"4WK2B": Answer.EXPORTED, "5FLOV": Answer.NEW}
    assert [r["title"] for r in run.records()] == ["T"], "the staged record became the stored one"


@pytest.mark.e2e
def test_concurrent_processes_claim_each_article_once(tmp_path: Path) -> None:
    """Four processes claim the same 300 articles at once, each exporting what it won: each
    article goes to exactly one of them."""
    script = (
        "import sys, json; from pathlib import Path; from dwnews.store.sqlite import SqliteLedger\n"
        "from dwnews.store.ledger import Claim, Answer\n"
        "s = SqliteLedger(Path(sys.argv[1]), run_id=sys.argv[2]); s.start_run()\n"
        "won = []\n"
        "for start in range(0, 300, 10):\n"
        "    answers = s.claim_many([Claim(f'id{i}', i) for i in range(start, start + 10)])\n"
        "    batch = [k for k, v in answers.items() if v == Answer.NEW]\n"
        "    s.feed_stored(Path(sys.argv[1]) / f'{sys.argv[2]}-{start}.jsonl', batch)\n"
        "    won += batch\n"
        "s.finish_run()\n"
        "print(json.dumps(won))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path), f"w{n}"], stdout=subprocess.PIPE, text=True)
        for n in range(4)
    ]
    won = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    every = [short_id for batch in won for short_id in batch]
    assert sorted(every) == sorted(f"id{i}" for i in range(300))


def test_short_ids_in_each_feed_format(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"short_id": "A"}\n{"short_id": "B"}\n')
    (tmp_path / "a.json").write_text('[{"short_id": "A"}, {"short_id": "B"}]')
    (tmp_path / "a.csv").write_text('short_id,body\r\nA,"x\n\ny"\r\nB,z\r\n')
    for name, fmt in (("a.jsonl", "jsonlines"), ("a.json", "json"), ("a.csv", "csv")):
        assert short_ids_in_feed(tmp_path / name, fmt) == ["A", "B"]


def test_failures_are_paths_retried_until_given_up(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path, run_id="r", max_failures=3)
    assert ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_503") is True
    assert ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_503") is True
    assert ledger.failures_to_retry() == [("4WK2B", "/sw/x/a-66808855")]
    assert ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_404") is False, "the third failure gives up"
    assert ledger.failures_to_retry() == []
    assert ledger.failures() == [
        {"short_id": "4WK2B", "path": "/sw/x/a-66808855", "reason": "http_404", "attempts": 3, "given_up": 1}
    ]
    ledger.mark_skipped("4WK2B", 66808855, "not_politics")
    assert ledger.failures() == [], "an article downloaded at last is no failure"


# ----- faults ---------------------------------------------------------------------------------------


def test_a_corrupt_database_is_a_fault_and_is_never_modified(tmp_path: Path) -> None:
    db = tmp_path / "articles.sqlite3"
    db.write_bytes(b"this is not an SQLite file, it was overwritten by accident\n" * 100)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StorageError) as caught:
        SqliteLedger(tmp_path, run_id="r")
    message = str(caught.value)
    assert str(db) in message and "corrupt" in message and "not a database" in message
    assert "import" in message, "the message says how to recover"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["articles.sqlite3"], "no journal, no WAL written"


def test_a_malformed_database_is_a_fault(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path, run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "f.jsonl", real_records())
    ledger.finish_run()
    ledger.close()
    db = tmp_path / "articles.sqlite3"
    for name in ("articles.sqlite3-wal", "articles.sqlite3-shm"):
        (tmp_path / name).unlink(missing_ok=True)
    data = bytearray(db.read_bytes())
    page = 4096
    data[page + 8 : page * 3] = os.urandom(page * 2 - 8)  # trash the second and third pages
    db.write_bytes(bytes(data))
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(StorageError, match="corrupt"):
        SqliteLedger(tmp_path, run_id="r2")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_a_state_dir_that_is_a_file_is_a_fault(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.write_text("oops")
    with pytest.raises(StorageError, match="not a directory"):
        SqliteLedger(state)


# ----- command line ---------------------------------------------------------------------------------


def test_a_staged_article_is_not_given_up_by_a_later_drop(tmp_path: Path) -> None:
    """A second record of an article (another URL, the same short id) is dropped by the run's dedup;
    that drop must not release the first one, which is on its way into the feed."""
    record = real_records()[0]
    ledger = SqliteLedger(tmp_path, run_id="r")
    ledger.start_run()
    ledger.claim_many([Claim(record["short_id"], record["content_id"])])
    ledger.stage(record)
    ledger.release(record["short_id"])  # what the owner does on item_dropped
    other = SqliteLedger(tmp_path, run_id="other")
    other.start_run()
    answer = other.claim_many([Claim(record["short_id"], record["content_id"])])
    assert answer == {record["short_id"]: Answer.CLAIMED_ELSEWHERE}, "still claimed"
    ledger.feed_stored(tmp_path / "f.jsonl", [record["short_id"]])
    assert list(ledger.records()) == [record], "exported with its record"


def test_staging_checks_the_records_own_id(tmp_path: Path) -> None:
    """A link under another id (a redirect, an alias) or a resumed JOBDIR queue reaches staging
    without a claim of the record's own id: an article another run exported is refused there."""
    record = real_records()[0]
    exported_by_an_earlier_run(tmp_path, [record])
    later = SqliteLedger(tmp_path, run_id="b", revisions=True)
    later.start_run()
    assert later.stage(record) == Answer.EXPORTED, "never exported twice"
    live = SqliteLedger(tmp_path, run_id="c")
    live.start_run()
    other = {**real_records()[1]}
    assert live.stage(other) is None, "an article nobody claimed is claimed at staging"
    assert later.stage(other) == Answer.CLAIMED_ELSEWHERE
    # a revision this run claimed is staged
    claim = Claim(record["short_id"], record["content_id"], "2099-01-01T00:00:00Z")
    assert later.claim_many([claim]) == {record["short_id"]: Answer.REVISED}
    assert later.stage({**record, "title": "Toleo jipya"}) is None


def test_a_revision_is_seen_only_once_exported(tmp_path: Path) -> None:
    record = {**real_records()[0], "modified": None, "published": "2023-04-28"}
    exported_by_an_earlier_run(tmp_path, [record])
    claim = Claim(record["short_id"], record["content_id"], "2023-04-28T00:00:00Z")
    second = SqliteLedger(tmp_path, run_id="b", revisions=True)
    second.start_run()
    assert second.claim_many([claim]) == {record["short_id"]: Answer.EXPORTED}, "a bare date is the end of its day"
    newer = Claim(record["short_id"], record["content_id"], "2024-01-01T10:00:00Z")
    assert second.claim_many([newer]) == {record["short_id"]: Answer.REVISED}
    second.release(record["short_id"])  # the download failed
    second.finish_run()
    third = SqliteLedger(tmp_path, run_id="c", revisions=True)
    third.start_run()
    assert third.claim_many([newer]) == {record["short_id"]: Answer.REVISED}, "a failed revision is tried again"
    third.stage({**record, "modified": "2024-01-01T10:00:00Z"})
    third.feed_stored(tmp_path / "c.jsonl", [record["short_id"]])
    assert third.claim_many([newer]) == {record["short_id"]: Answer.EXPORTED}, "once exported, that lastmod is seen"
