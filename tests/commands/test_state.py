"""The state command (``python3 -m dwnews.state``): export, stats, failures, forget, import; exit statuses."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dwnews.commands.state import main
from dwnews.store.ledger import Answer, Claim
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import export_run, real_records


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
    assert ledger.claim_many([Claim("4WK2B", 66808855)]) == {"4WK2B": Answer.EXPORTED}, "what it knew still counts"
    assert ledger.exported_without_record() == 1
    ledger.finish_run()
    assert main(["--state-dir", str(tmp_path), "export", "-O", str(tmp_path / "c.jsonl")]) == 0
    assert "older version that kept no records" in capsys.readouterr().err


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
