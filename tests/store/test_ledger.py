"""The SQLite article ledger: claims, records kept, recovery after a killed run, faults, the CLI."""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from dwnews.core.outcome import StorageError
from dwnews.store.feedfiles import short_ids_in_feed
from dwnews.store.ledger import Answer, Claim
from dwnews.store.outputs import Output
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import export_run, exported_by_an_earlier_run, real_records


def test_claim_export_skip_and_forget(tmp_path: Path) -> None:
    run = SqliteLedger(tmp_path, run_id="run-1")
    run.start_run()
    answers = run.claim_many([Claim("4WK2B", 66808855), Claim("4boRv", 68117411)])
    assert answers == {"4WK2B": Answer.NEW, "4boRv": Answer.NEW}
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}  # its own claim
    run.mark_skipped("4boRv", 68117411, "not_politics")
    run.stage(
        {"short_id": "4WK2B", "content_id": 66808855, "published": "2023-09-14T10:12:00Z", "title": "T", "body": "B"}
    )
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
    """What the crawl's feed storage does, up to a kill before or after the feed's rename."""
    run = SqliteLedger(Path(state_dir), run_id="dying")
    run.start_run()
    run.claim_many([Claim("4WK2B", 66808855), Claim("5FLOV", 77538843)])
    run.stage({"short_id": "4WK2B", "content_id": 66808855, "published": "2023-09-14", "title": "T", "body": "B"})
    feed = Path(state_dir) / "f.jsonl"
    output = Output.open(feed)
    assert output.temp is not None
    run.feed_opened(feed, output.temp, "jsonlines")
    with output.handle() as handle:
        handle.write(json.dumps({"short_id": "4WK2B"}).encode() + b"\n")
    if die_after_rename:
        run.feed_ready(feed, output.finish().text(), ["4WK2B"])
        output.commit()
    os._exit(0)  # no finish_run, no commit, no clean-up: as if killed


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
    (part,) = tmp_path.glob(".f.jsonl.*.part")
    run = SqliteLedger(tmp_path, run_id="next")
    recovered = run.start_run()
    assert recovered == {
        "dead_runs": 1,
        "claims_released": 2,
        "feeds_committed": 0,
        "parts_removed": 1,
        "feeds_not_ours": 0,
        "failures_imported": 0,
    }
    assert not part.exists() and not (tmp_path / "f.jsonl").exists()
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
    first = ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_503")
    assert first.retried and first.known_since is None, "a new failure"
    again = ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_503")
    assert again.retried and again.known_since is not None, "the same failure again: known since the first"
    assert ledger.failures_to_retry() == [("4WK2B", "/sw/x/a-66808855")]
    third = ledger.record_failure("4WK2B", "/sw/x/a-66808855", "http_404")
    assert not third.retried and third.known_since is None, "the third failure gives up; another reason is new"
    assert ledger.failures_to_retry() == []
    assert ledger.failures() == [
        {"short_id": "4WK2B", "path": "/sw/x/a-66808855", "reason": "http_404", "attempts": 3, "given_up": 1}
    ]
    ledger.mark_skipped("4WK2B", 66808855, "not_politics")
    assert ledger.failures() == [], "an article downloaded at last is no failure"


def test_a_page_remembers_that_it_answered_and_since_when_it_fails_so(tmp_path: Path) -> None:
    ledger = SqliteLedger(tmp_path, run_id="r")
    never = ledger.page_failed("/rdf/rss-kis-all", "http_404")
    assert not never.retried and never.known_since is None, "a feed that never answered"
    ledger.pages_answered(["/sw/news-sitemap.xml"])
    lost = ledger.page_failed("/sw/news-sitemap.xml", "http_503")
    assert lost.retried and lost.known_since is None, "it answered before: lost now"
    again = ledger.page_failed("/sw/news-sitemap.xml", "http_503")
    assert again.retried and again.known_since == lost_since(ledger, "/sw/news-sitemap.xml")
    ledger.pages_answered(["/sw/news-sitemap.xml"])
    assert ledger.page_failed("/sw/news-sitemap.xml", "http_503").known_since is None, "answered in between"


def lost_since(ledger: SqliteLedger, path: str) -> str:
    (since,) = ledger.db.execute("SELECT failed_since FROM pages WHERE path = ?", (path,)).fetchone()
    return str(since)


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


# ----- recovery trusts only what this ledger staged (issue 21) ---------------------------------------


def test_recovery_leaves_a_file_that_is_not_the_dead_runs_feed_alone(tmp_path: Path) -> None:
    """Killed between the rename and the commit; then another file is put at the feed's path: it is
    not the file the run finished (another inode, size, time), so nothing in it is recorded, and
    the dead run's article is released to be fetched again."""
    _die(tmp_path, after_rename=True)
    feed = tmp_path / "f.jsonl"
    feed.unlink()
    foreign = [json.dumps({"short_id": s}) for s in ("4WK2B", "5FLOV", "4boRv", "ZZZZZ")]
    feed.write_text("\n".join(foreign) + "\n")
    run = SqliteLedger(tmp_path, run_id="next")
    recovered = run.start_run()
    assert recovered["feeds_not_ours"] == 1 and recovered["feeds_committed"] == 0
    assert run.counts() == {}, "nothing recorded from the foreign file"
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.NEW}, "fetched again"
    assert feed.read_text() == "\n".join(foreign) + "\n", "left alone"
    status = run.db.execute("SELECT status FROM feeds WHERE path = ?", (str(feed),)).fetchone()
    assert status == ("not_ours",)


def test_recovery_records_only_what_the_dead_run_staged(tmp_path: Path) -> None:
    """The feed is the dead run's, but the ids recorded with it are what it staged: nothing else
    (an id in its feed it never staged) becomes exported without a record."""
    run = SqliteLedger(tmp_path, run_id="dying")
    run.start_run()
    record = real_records()[0]
    run.stage(record)
    feed = tmp_path / "f.jsonl"
    output = Output.open(feed)
    assert output.temp is not None
    run.feed_opened(feed, output.temp, "jsonlines")
    with output.handle() as handle:
        handle.write(json.dumps(record).encode() + b"\n" + json.dumps({"short_id": "4boRv"}).encode() + b"\n")
    run.feed_ready(feed, output.finish().text(), [record["short_id"], "4boRv"])
    output.commit()
    run.db.execute("UPDATE runs SET status = 'faulted'")  # as a run stopped on a fault after its rename
    later = SqliteLedger(tmp_path, run_id="next")
    assert later.start_run()["feeds_committed"] == 1
    assert later.counts() == {"exported": 1}
    assert [r["short_id"] for r in later.records()] == [record["short_id"]]


# ----- honest storage messages (issue 21) -------------------------------------------------------------

_HOLD = """
import sqlite3, sys
from pathlib import Path
from dwnews.store.sqlite import SqliteLedger
if sys.argv[2] == "run":
    ledger = SqliteLedger(Path(sys.argv[1]), run_id="holder", spider="politics")
    ledger.start_run()
    db = ledger.db
else:
    db = sqlite3.connect(sys.argv[1] + "/articles.sqlite3", isolation_level=None)
if sys.argv[2] == "exclusive":  # a tool that locks readers out too
    db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE" if sys.argv[2] == "exclusive" else "BEGIN IMMEDIATE")
db.execute(
    "INSERT INTO failures (short_id, path, reason, attempts, given_up, updated_at)"
    " VALUES ('4WK2B', '/sw/x/a-66808855', 'http_503', 1, 0, 'now')"
)
print("locked", flush=True)
sys.stdin.read()
"""


@pytest.mark.e2e
@pytest.mark.parametrize("holder", ["run", "process", "exclusive"])
def test_a_locked_ledger_says_who_holds_it_and_is_never_called_corrupt(tmp_path: Path, holder: str) -> None:
    """A real second process holds a write transaction past the timeout: the fault names it (a
    crawl's run by its pid), never "corrupt", never "move it aside"; readers do not wait at all,
    unless the holder locked them out too (SQLite's exclusive locking mode): then the same line."""
    state = tmp_path / "state"
    exported_by_an_earlier_run(state, real_records())
    held = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(state), holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert held.stdout is not None and held.stdout.readline().strip() == "locked"
        with pytest.raises(StorageError) as caught:
            SqliteLedger(state, run_id="me", timeout=0.5).start_run()
        message = str(caught.value)
        who = "another run" if holder == "run" else "another process"
        assert f"in use by {who} (pid {held.pid}" in message and str(state / "articles.sqlite3") in message
        assert "corrupt" not in message and "mv " not in message and "\n" not in message
        if holder == "exclusive":
            with pytest.raises(StorageError) as read:
                SqliteLedger(state, read_only=True, timeout=0.5)
            assert str(read.value) == message, "the same line for a read-only command, not corrupt"
            return
        reader = SqliteLedger(state, read_only=True, timeout=0.5)
        assert reader.counts() == {"exported": len(real_records())}, "a reader never waits (WAL)"
        assert len(list(reader.records())) == len(real_records())
    finally:
        assert held.stdin is not None
        held.stdin.close()
        held.wait(30)


_AS_NOBODY = """
import json, os, sys
from pathlib import Path
from dwnews.core.outcome import StorageError
from dwnews.store.sqlite import SqliteLedger
if os.geteuid() == 0:  # everything is imported: now act as a user that is not root
    os.setgid(65534)
    os.setuid(65534)
said = {}
for name, options in (("write", {}), ("read", {"read_only": True})):
    try:
        SqliteLedger(Path(sys.argv[1]), run_id="nobody", **options).counts()
        said[name] = "ok"
    except StorageError as fault:
        said[name] = str(fault)
try:
    SqliteLedger(Path(sys.argv[1]) / "new-state", run_id="nobody")
except StorageError as fault:
    said["create"] = str(fault)
print(json.dumps(said))
"""


@pytest.mark.e2e
def test_a_state_dir_that_cannot_be_written_says_permission_denied(tmp_path_factory: pytest.TempPathFactory) -> None:
    """chmod does not stop root, so as root the check runs in a process that drops to uid 65534
    after its imports (a real user without write permission); "corrupt" is never said."""
    base = Path(tempfile.mkdtemp(prefix="dwnews-ro-", dir="/tmp"))  # traversable by uid 65534
    try:
        base.chmod(0o755)
        state = base / "state"
        exported_by_an_earlier_run(state, real_records())
        state.chmod(0o555)
        (state / "articles.sqlite3").chmod(0o644)
        done = subprocess.run(
            [sys.executable, "-c", _AS_NOBODY, str(state)], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-3000:]
        said = json.loads(done.stdout)
        assert (
            said["write"]
            == f"{state}: cannot write: permission denied (uid {65534 if os.geteuid() == 0 else os.geteuid()})"
        )
        assert "cannot read articles.sqlite3: permission denied" in said["read"] and "-shm" in said["read"]
        assert said["create"].startswith(f"{state / 'new-state'}: cannot write: permission denied")
        for message in said.values():
            assert "corrupt" not in message and "mv " not in message
    finally:
        for path in (base / "state", base):
            with contextlib.suppress(OSError):
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


def test_corrupt_is_said_only_when_the_integrity_check_says_so(tmp_path: Path) -> None:
    """An error that claims damage (SQLITE_CORRUPT) on a sound file is reported as said, with the
    integrity check's verdict, and no advice to move the database aside."""
    ledger = SqliteLedger(tmp_path, run_id="r")
    claim = sqlite3.DatabaseError("database disk image is malformed")
    claim.sqlite_errorcode = 11  # type: ignore[attr-defined]  # what SQLite sets on it
    message = str(ledger.fault(claim))
    assert "database is corrupt" not in message and "mv " not in message
    assert "integrity check finds no fault" in message, message


# ----- rows read back are checked one by one (issue 21) -----------------------------------------------


def test_a_stored_row_that_is_no_record_costs_only_itself(tmp_path: Path) -> None:
    records = real_records()
    ledger = SqliteLedger(tmp_path, run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "f.jsonl", records)
    broken, wrong = records[0]["short_id"], records[1]["short_id"]
    ledger.db.execute("UPDATE articles SET record = '{not json' WHERE short_id = ?", (broken,))
    bad_images = json.dumps({**records[1], "images": "https://x/y.jpg", "title": {"sw": "x"}})
    ledger.db.execute("UPDATE articles SET record = ? WHERE short_id = ?", (bad_images, wrong))
    said: list[tuple[str, str]] = []
    kept = list(ledger.records(bad=lambda short_id, why: said.append((short_id, why))))
    assert {r["short_id"] for r in kept} == {r["short_id"] for r in records[2:]}
    assert dict(said)[broken] == "not JSON"
    assert "title is dict" in dict(said)[wrong] and "images" in dict(said)[wrong]
