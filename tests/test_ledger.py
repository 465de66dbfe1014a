"""The SQLite article ledger: claims, records kept, recovery after a killed run, faults, the CLI."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwnews.ledger import (
    CLAIMED_ELSEWHERE,
    EXPORTED,
    NEW,
    REVISED,
    SKIPPED,
    Claim,
    SqliteLedger,
    StorageError,
    short_ids_in_feed,
)
from dwnews.state import main

EXPECTED = Path(__file__).parent / "site" / "sw"


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


def test_claim_export_skip_and_forget(tmp_path: Path) -> None:
    run = SqliteLedger(tmp_path, run_id="run-1")
    run.start_run()
    answers = run.claim_many([Claim("4WK2B", 66808855), Claim("4boRv", 68117411)])
    assert answers == {"4WK2B": NEW, "4boRv": NEW}
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": NEW}  # its own claim
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
    assert later.claim_many(claims) == {"4WK2B": EXPORTED, "4boRv": SKIPPED}
    assert later.counts() == {"exported": 1, "skipped": 1}
    assert [r["short_id"] for r in later.records()] == ["4WK2B"], "the record is kept"
    assert later.forget(["4WK2B"]) == 1
    assert later.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": NEW}
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
    assert answer == {record["short_id"]: REVISED}
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
    assert live.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": NEW}
    other = SqliteLedger(tmp_path, run_id="other")
    other.start_run()
    assert other.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": CLAIMED_ELSEWHERE}
    live.finish_run()
    assert other.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": NEW}


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
    assert run.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": NEW}
    assert list(run.records()) == [], "a staged record of a dead run is not the corpus"


def test_recovery_commits_a_feed_renamed_but_not_recorded_with_its_record(tmp_path: Path) -> None:
    _die(tmp_path, after_rename=True)
    run = SqliteLedger(tmp_path, run_id="next")
    assert run.start_run()["feeds_committed"] == 1
    answers = run.claim_many([Claim("4WK2B", 66808855), Claim("5FLOV", 77538843)])
    assert answers == {"4WK2B": EXPORTED, "5FLOV": NEW}
    assert [r["title"] for r in run.records()] == ["T"], "the staged record became the stored one"


def test_concurrent_processes_claim_each_article_once(tmp_path: Path) -> None:
    """Four processes claim the same 300 articles at once, each exporting what it won: each
    article goes to exactly one of them."""
    script = (
        "import sys, json; from pathlib import Path; from dwnews.ledger import SqliteLedger, Claim, NEW\n"
        "s = SqliteLedger(Path(sys.argv[1]), run_id=sys.argv[2]); s.start_run()\n"
        "won = []\n"
        "for start in range(0, 300, 10):\n"
        "    answers = s.claim_many([Claim(f'id{i}', i) for i in range(start, start + 10)])\n"
        "    batch = [k for k, v in answers.items() if v == NEW]\n"
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


def test_command_line_export_in_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = real_records()
    ledger = SqliteLedger(tmp_path / "state", run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "run.jsonl", records)
    ledger.finish_run()
    state = ["--state-dir", str(tmp_path / "state")]
    ordered = sorted(records, key=lambda r: (r["published"], r["short_id"]))

    assert main([*state, "export", "-O", str(tmp_path / "c.jsonl")]) == 0
    lines = (tmp_path / "c.jsonl").read_text("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == ordered
    assert main([*state, "export", "-O", str(tmp_path / "c.json")]) == 0
    assert json.loads((tmp_path / "c.json").read_text("utf-8")) == ordered
    assert main([*state, "export", "-O", str(tmp_path / "c.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "c.csv").read_text("utf-8"), newline="")))
    assert [row["short_id"] for row in rows] == [r["short_id"] for r in ordered]
    assert main([*state, "export", "-O", str(tmp_path / "excel.csv"), "--encoding", "utf-8-sig"]) == 0
    assert (tmp_path / "excel.csv").read_bytes().startswith(b"\xef\xbb\xbfshort_id,")
    assert not list(tmp_path.glob("*.part")), "written as .part and renamed"
    since = ordered[-1]["published"][:10]
    assert main([*state, "export", "-O", str(tmp_path / "late.jsonl"), "--since", since]) == 0
    late = [json.loads(x) for x in (tmp_path / "late.jsonl").read_text("utf-8").splitlines()]
    assert late and all(r["published"][:10] >= since for r in late)
    assert "exported" in capsys.readouterr().out


def test_command_line_help_is_plain_text_with_examples(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert "``" not in text and ":class:" not in text, "no reStructuredText markup"
    assert "python3 -m dwnews.state export -O siasa.jsonl" in text and "exit status: 0 done" in text


def test_command_line_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--state-dir", str(tmp_path / "none"), "stats"]) == 2
    assert "no state in" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "articles.sqlite3").write_bytes(b"garbage" * 1000)
    assert main(["--state-dir", str(tmp_path / "bad"), "export", "-O", str(tmp_path / "x.jsonl")]) == 4
    err = capsys.readouterr().err
    assert err.startswith("dwnews: storage fault:") and err.count("\n") == 1 and "Traceback" not in err
    with pytest.raises(SystemExit) as usage:
        main(["--state-dir", str(tmp_path), "export", "-O", str(tmp_path / "x.xml")])
    assert usage.value.code == 2


def test_command_line_forget_and_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = SqliteLedger(tmp_path, run_id="r")
    run.start_run()
    run.mark_skipped("4WK2B", 66808855, "not_politics")
    run.mark_skipped("5FLOV", 77538843, "not_politics")
    assert main(["--state-dir", str(tmp_path), "forget", "4WK2B"]) == 0
    assert run.counts() == {"skipped": 1}
    assert main(["--state-dir", str(tmp_path), "forget", "--all"]) == 0
    assert run.counts() == {}
    # a state lost or made by an older version: rebuilt from the feeds, records and all
    records = real_records()
    feed = tmp_path / "old.jsonl"
    feed.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    assert main(["--state-dir", str(tmp_path), "import", str(feed)]) == 0
    assert run.counts() == {"exported": len(records)}
    assert {r["short_id"] for r in run.records()} == {r["short_id"] for r in records}
    assert f"imported {len(records)} articles" in capsys.readouterr().out


def test_a_state_of_the_previous_version_is_taken_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Its articles table lacks the record columns and its failures were a JSON Lines file of URLs."""
    import sqlite3

    db = sqlite3.connect(tmp_path / "articles.sqlite3")
    db.executescript(
        "CREATE TABLE articles (short_id TEXT PRIMARY KEY, content_id INTEGER, status TEXT NOT NULL, reason TEXT,"
        " run_id TEXT, feed TEXT, updated_at TEXT NOT NULL);"
        "INSERT INTO articles VALUES ('4WK2B', 66808855, 'exported', NULL, 'old', 'siasa.jsonl', '2026-01-01');"
    )
    db.commit()
    db.close()
    (tmp_path / "failures.jsonl").write_text(
        json.dumps({"url": "http://127.0.0.1:8123/sw/habari/a-66899999", "reason": "http_404", "page": "article"})
        + "\n"
        + json.dumps({"url": "http://127.0.0.1:8123/sw/s-11588", "reason": "timeout", "page": "listing"})
        + "\n{cut by a crash"
    )
    ledger = SqliteLedger(tmp_path, run_id="new")
    recovered = ledger.start_run()
    assert recovered["failures_imported"] == 1
    assert ledger.failures_to_retry() == [("4WhkF", "/sw/habari/a-66899999")], "a path: the next host may differ"
    assert (tmp_path / "failures.jsonl.imported").exists() and not (tmp_path / "failures.jsonl").exists()
    assert ledger.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": EXPORTED}, "what it knew still counts"
    assert ledger.exported_without_record() == 1
    ledger.finish_run()
    assert main(["--state-dir", str(tmp_path), "export", "-O", str(tmp_path / "c.jsonl")]) == 0
    assert "older version that kept no records" in capsys.readouterr().err


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
    assert answer == {record["short_id"]: CLAIMED_ELSEWHERE}, "still claimed"
    ledger.feed_stored(tmp_path / "f.jsonl", [record["short_id"]])
    assert list(ledger.records()) == [record], "exported with its record"


def test_staging_checks_the_records_own_id(tmp_path: Path) -> None:
    """A link under another id (a redirect, an alias) or a resumed JOBDIR queue reaches staging
    without a claim of the record's own id: an article another run exported is refused there."""
    record = real_records()[0]
    exported_by_an_earlier_run(tmp_path, [record])
    later = SqliteLedger(tmp_path, run_id="b", revisions=True)
    later.start_run()
    assert later.stage(record) == EXPORTED, "never exported twice"
    live = SqliteLedger(tmp_path, run_id="c")
    live.start_run()
    other = {**real_records()[1]}
    assert live.stage(other) is None, "an article nobody claimed is claimed at staging"
    assert later.stage(other) == CLAIMED_ELSEWHERE
    # a revision this run claimed is staged
    claim = Claim(record["short_id"], record["content_id"], "2099-01-01T00:00:00Z")
    assert later.claim_many([claim]) == {record["short_id"]: REVISED}
    assert later.stage({**record, "title": "Toleo jipya"}) is None


def test_import_trusts_no_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = real_records()[0]
    feed = tmp_path / "mixed.jsonl"
    hostile = [
        5,
        {"short_id": "4WK2B"},  # no content id
        {**good, "short_id": "ZZZZZ"},  # an id that is not its content id
        {
            **good,
            "short_id": real_records()[1]["short_id"],
            "content_id": real_records()[1]["content_id"],
            "published": 20240101,
        },  # a date that is not a string
    ]
    feed.write_text("\n".join(json.dumps(r) for r in [good, *hostile]) + "\n", "utf-8")
    state = ["--state-dir", str(tmp_path / "state")]
    assert main([*state, "import", str(feed)]) == 0
    out = capsys.readouterr().out
    assert "imported 1 articles" in out and "left out 4 entries" in out, out
    assert main([*state, "export", "-O", str(tmp_path / "out.jsonl")]) == 0, "the corpus still exports"
    assert [json.loads(x) for x in (tmp_path / "out.jsonl").read_text("utf-8").splitlines()] == [good]
    (tmp_path / "five.json").write_text("5")
    assert main([*state, "import", str(tmp_path / "five.json")]) == 2
    assert "not a JSON array" in capsys.readouterr().err


def test_a_revision_is_seen_only_once_exported(tmp_path: Path) -> None:
    record = {**real_records()[0], "modified": None, "published": "2023-04-28"}
    exported_by_an_earlier_run(tmp_path, [record])
    claim = Claim(record["short_id"], record["content_id"], "2023-04-28T00:00:00Z")
    second = SqliteLedger(tmp_path, run_id="b", revisions=True)
    second.start_run()
    assert second.claim_many([claim]) == {record["short_id"]: EXPORTED}, "a bare date is the end of its day"
    newer = Claim(record["short_id"], record["content_id"], "2024-01-01T10:00:00Z")
    assert second.claim_many([newer]) == {record["short_id"]: REVISED}
    second.release(record["short_id"])  # the download failed
    second.finish_run()
    third = SqliteLedger(tmp_path, run_id="c", revisions=True)
    third.start_run()
    assert third.claim_many([newer]) == {record["short_id"]: REVISED}, "a failed revision is tried again"
    third.stage({**record, "modified": "2024-01-01T10:00:00Z"})
    third.feed_stored(tmp_path / "c.jsonl", [record["short_id"]])
    assert third.claim_many([newer]) == {record["short_id"]: EXPORTED}, "once exported, that lastmod is seen"
