"""The state command (``python3 -m dwnews.state``): export, stats, failures, forget, import; exit statuses."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dwnews.commands.state import main
from dwnews.core.ids import content_id_to_short_id
from dwnews.store.ledger import Answer, Claim
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import PROJECT_ROOT, export_run, real_records, wait_until


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


# ----- the export goes through the one output writer (issue 21) ----------------------------------------


def _state_with(tmp_path: Path, records: list[dict[str, Any]]) -> list[str]:
    ledger = SqliteLedger(tmp_path / "state", run_id="r")
    ledger.start_run()
    export_run(ledger, tmp_path / "run.jsonl", records)
    ledger.finish_run()
    ledger.close()
    return ["--state-dir", str(tmp_path / "state")]


def _big_state(tmp_path: Path, count: int = 20_000) -> list[str]:
    """A state dir whose corpus is ``count`` real-shaped records (a real record under as many
    content ids): its export takes long enough (about a second) to be caught while it writes."""
    base = real_records()[0]
    first = 60_000_000
    records = [{**base, "content_id": first + n, "short_id": content_id_to_short_id(first + n)} for n in range(count)]
    ledger = SqliteLedger(tmp_path / "state", run_id="seed")
    assert ledger.import_records(records, "seed") == (count, 0)
    ledger.close()
    return ["--state-dir", str(tmp_path / "state")]


def _run_state(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dwnews.state", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout
    )


def _paused_export(state: list[str], target: Path) -> subprocess.Popen[str]:
    """`export -O target` in a subprocess, stopped (SIGSTOP) once its temporary file is there."""
    export = subprocess.Popen(
        [sys.executable, "-m", "dwnews.state", *state, "export", "-O", str(target)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: bool(list(target.parent.glob(f".{target.name}.*.part"))), timeout=60, what="the export")
    except BaseException:
        export.kill()
        export.communicate()
        raise
    export.send_signal(signal.SIGSTOP)
    return export


def _dwnews_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("dwnews: ")]


def test_a_link_or_fifo_planted_at_the_old_export_part_name_is_never_used(tmp_path: Path) -> None:
    """`ln -s ../secret/victim shared/siasa.jsonl.export.part` made the export truncate the victim; a
    FIFO there hung it for ever. A real process, with a timeout."""
    state = _state_with(tmp_path, real_records())
    (tmp_path / "secret").mkdir()
    victim = tmp_path / "secret" / "victim"
    victim.write_text("the victim's data\n")
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "siasa.jsonl.export.part").symlink_to("../secret/victim")
    os.mkfifo(shared / "siasa.csv.export.part")
    for name in ("siasa.jsonl", "siasa.csv"):
        done = _run_state(*state, "export", "-O", str(shared / name), timeout=60)
        assert done.returncode == 0, done.stderr
    assert victim.read_text() == "the victim's data\n"
    assert len((shared / "siasa.jsonl").read_text("utf-8").splitlines()) == len(real_records())
    assert sorted(p.name for p in shared.iterdir()) == [
        "siasa.csv",
        "siasa.csv.export.part",
        "siasa.jsonl",
        "siasa.jsonl.export.part",
    ]


@pytest.mark.parametrize("plant", ["symlink", "fifo"])
def test_a_link_or_fifo_at_the_exports_lock_is_refused_in_one_line(tmp_path: Path, plant: str) -> None:
    state = _state_with(tmp_path, real_records())
    lock = tmp_path / ".siasa.jsonl.lock"
    victim = tmp_path / "victim"
    victim.write_text("the victim's data\n")
    if plant == "symlink":
        lock.symlink_to(victim)
    else:
        os.mkfifo(lock)
    done = _run_state(*state, "export", "-O", str(tmp_path / "siasa.jsonl"), timeout=60)
    assert done.returncode == 2, done.stderr
    assert len(_dwnews_lines(done.stderr)) == 1 and str(lock) in done.stderr and "refused" in done.stderr
    assert "Traceback" not in done.stderr and done.stderr.count("\n") == 1
    assert victim.read_text() == "the victim's data\n" and not (tmp_path / "siasa.jsonl").exists()


@pytest.mark.e2e
def test_two_exports_to_one_file_never_mix(tmp_path: Path) -> None:
    """Two exports at once used to interleave (200,000 lines, 75,000 duplicates, one reporting
    success). The first is paused (SIGSTOP) while it writes, so the second surely meets it: it
    refuses with exit 2 and one line; the first then finishes a whole file."""
    state = _big_state(tmp_path)
    target = tmp_path / "siasa.jsonl"
    first = _paused_export(state, target)
    try:
        second = _run_state(*state, "export", "-O", str(target))
        assert second.returncode == 2, second.stderr
        (line,) = _dwnews_lines(second.stderr)
        assert str(target) in line and "being written by another run or export" in line
    finally:
        first.send_signal(signal.SIGCONT)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    short_ids = [json.loads(line)["short_id"] for line in target.read_text("utf-8").splitlines()]
    assert len(short_ids) == 20_000 and len(set(short_ids)) == 20_000, "one whole export"
    assert not list(tmp_path.glob(".siasa.jsonl.*"))


@pytest.mark.e2e
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_during_an_export_removes_its_temporary_file(tmp_path: Path, stop: signal.Signals) -> None:
    """SIGTERM during an export left a 424 MB .export.part behind. The export is paused while it
    writes (its temporary file seen by polling), signalled, resumed: it exits 128+N, its temporary
    file and lock gone, the file it was replacing untouched."""
    state = _big_state(tmp_path)
    target = tmp_path / "siasa.jsonl"
    target.write_text("the previous export\n")
    export = _paused_export(state, target)
    try:
        export.send_signal(stop)
    finally:
        export.send_signal(signal.SIGCONT)
    _, err = export.communicate(timeout=120)
    assert export.returncode == 128 + stop, err
    assert _dwnews_lines(err) == [f"dwnews: stopped by {stop.name}; {target} was left as it was"], err
    assert not list(tmp_path.glob(".siasa.jsonl.*")), "no temporary file, no lock left"
    assert target.read_text() == "the previous export\n"


def test_an_export_keeps_the_mode_of_the_file_it_replaces(tmp_path: Path) -> None:
    state = _state_with(tmp_path, real_records())
    private = tmp_path / "private.jsonl"
    private.write_text("")
    private.chmod(0o600)
    link = tmp_path / "latest.jsonl"
    link.symlink_to(private)
    assert main([*state, "export", "-O", str(link)]) == 0
    assert link.is_symlink() and stat.S_IMODE(private.stat().st_mode) == 0o600
    assert len(private.read_text("utf-8").splitlines()) == len(real_records())
    previous = os.umask(0o027)
    try:
        assert main([*state, "export", "-O", str(tmp_path / "fresh.csv")]) == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "fresh.csv").stat().st_mode) == 0o640, "as open() would make it"


# ----- files and rows read back are checked one by one (issue 21) --------------------------------------


def test_import_names_skips_and_counts_entries_that_are_not_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Records whose images is a string, whose title is a dict, whose url is javascript:, and a line
    that is no JSON: named by file:line, left out, counted; the good ones imported (exit 0); a CSV
    export of the corpus afterwards works."""
    good = real_records()
    bad = [
        {**good[0], "images": "https://example.org/a.jpg"},
        {**good[1], "title": {"sw": "Habari"}},
        {**good[2], "url": "javascript:alert(document.cookie)"},
    ]
    feed = tmp_path / "mixed.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in bad] + ["{cut by a crash"]
    lines += [json.dumps(r, ensure_ascii=False) for r in good[3:]]
    feed.write_text("\n".join(lines) + "\n", "utf-8")
    state = ["--state-dir", str(tmp_path / "state")]
    assert main([*state, "import", str(feed)]) == 0
    captured = capsys.readouterr()
    assert f"imported {len(good) - 3} articles" in captured.out and "left out 4 entries" in captured.out
    said = _dwnews_lines(captured.err)
    assert said == [
        f"dwnews: left out {feed}:1: images is not a list of {{url, caption, credit}} with http(s) URLs",
        f"dwnews: left out {feed}:2: title is dict, not text",
        f"dwnews: left out {feed}:3: url 'javascript:alert(document.cookie)' is no http(s) URL",
        f"dwnews: left out {feed}:4: not a JSON line",
    ]
    assert main([*state, "export", "-O", str(tmp_path / "corpus.csv")]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "corpus.csv").read_text("utf-8"), newline="")))
    assert {row["short_id"] for row in rows} == {r["short_id"] for r in good[3:]}
    with pytest.raises(SystemExit):
        main(["import", "--help"])
    assert "left out and counted while the rest is imported (exit status 0)" in " ".join(
        capsys.readouterr().out.split()
    )


def test_an_unreadable_stored_row_is_named_the_rest_exported_and_the_exit_is_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One `articles.record` row that is not JSON made the whole export fail with exit 2 ("bad
    arguments") without naming it."""
    records = real_records()
    state = _state_with(tmp_path, records)
    db = sqlite3.connect(tmp_path / "state" / "articles.sqlite3")
    db.execute('UPDATE articles SET record = \'{"short_id": "4W\' WHERE short_id = ?', (records[0]["short_id"],))
    db.execute(
        "UPDATE articles SET record = ? WHERE short_id = ?",
        (json.dumps({**records[1], "images": "x"}), records[1]["short_id"]),
    )
    db.commit()
    db.close()
    for name in ("corpus.jsonl", "corpus.csv"):
        assert main([*state, "export", "-O", str(tmp_path / name)]) == 4
        err = capsys.readouterr().err
        (line,) = _dwnews_lines(err)
        assert line.startswith("dwnews: storage fault: 2 stored records cannot be read back")
        assert f"{records[0]['short_id']} (not JSON)" in line and records[1]["short_id"] in line
        assert str(tmp_path / name) in line and "Traceback" not in err
    written = [json.loads(x)["short_id"] for x in (tmp_path / "corpus.jsonl").read_text("utf-8").splitlines()]
    assert sorted(written) == sorted(r["short_id"] for r in records[2:]), "every good record written"


# ----- honest storage messages (issue 21) ----------------------------------------------------------------


@pytest.mark.e2e
def test_a_locked_ledger_is_in_use_not_corrupt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A crawl's run holds a write transaction: `forget` waits --wait seconds and says which run
    holds it; `stats` and `export` (read-only) do not wait and never advise moving the database."""
    state = _state_with(tmp_path, real_records())
    script = (
        "import sys; from pathlib import Path; from dwnews.store.sqlite import SqliteLedger\n"
        "ledger = SqliteLedger(Path(sys.argv[1]), run_id='crawl', spider='politics'); ledger.start_run()\n"
        "ledger.db.execute('BEGIN IMMEDIATE')\n"
        "ledger.db.execute(\"UPDATE runs SET spider = 'politics'\")\n"
        "print('locked', flush=True); sys.stdin.read()\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, state[1]], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        assert main([*state, "--wait", "0.5", "forget", "4WK2B"]) == 4
        err = capsys.readouterr().err
        assert f"in use by another run (pid {holder.pid}" in err and err.count("\n") == 1
        assert main([*state, "stats"]) == 0
        assert main([*state, "export", "-O", str(tmp_path / "c.jsonl")]) == 0
        assert "corrupt" not in capsys.readouterr().err
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(30)
