"""The cross-run SQLite state: claims, exports, recovery after a killed run, concurrent runs."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from dwnews.state import CLAIMED_ELSEWHERE, EXPORTED, NEW, SKIPPED, ArticleState, main, short_ids_in_feed


def test_claim_export_skip_and_forget(tmp_path: Path) -> None:
    run = ArticleState(tmp_path, run_id="run-1")
    run.start_run()
    assert run.claim_many([("4WK2B", 66808855), ("4boRv", 68117411)]) == {"4WK2B": NEW, "4boRv": NEW}
    assert run.claim("4WK2B", 66808855) == NEW  # its own claim
    run.mark_skipped("4boRv", 68117411, "not_politics")
    feed = tmp_path / "feed.jsonl"
    feed.write_text(json.dumps({"short_id": "4WK2B"}) + "\n")
    run.feed_opened(feed, tmp_path / "feed.jsonl.part", "jsonlines")
    assert run.feed_stored(feed, ["4WK2B"]) == 1
    run.finish_run()

    later = ArticleState(tmp_path, run_id="run-2")
    later.start_run()
    assert later.claim_many([("4WK2B", 66808855), ("4boRv", 68117411)]) == {"4WK2B": EXPORTED, "4boRv": SKIPPED}
    assert later.counts() == {"exported": 1, "skipped": 1}
    assert later.forget(["4WK2B"]) == 1
    assert later.claim("4WK2B", 66808855) == NEW
    later.finish_run()
    assert later.counts() == {"skipped": 1}, "unfinished claims are released when a run ends"


def _claim_and_die(state_dir: str, die_after_rename: bool) -> None:
    run = ArticleState(Path(state_dir), run_id="dying")
    run.start_run()
    run.claim_many([("4WK2B", 66808855), ("5FLOV", 77538843)])
    feed, part = Path(state_dir) / "f.jsonl", Path(state_dir) / "f.jsonl.part"
    run.feed_opened(feed, part, "jsonlines")
    part.write_text(json.dumps({"short_id": "4WK2B"}) + "\n")
    if die_after_rename:
        os.replace(part, feed)
    os._exit(0)  # no finish_run, no commit: as if killed


def test_a_live_claim_blocks_other_runs_and_a_dead_one_is_released(tmp_path: Path) -> None:
    live = ArticleState(tmp_path, run_id="live")
    live.start_run()
    assert live.claim("4WK2B", 66808855) == NEW
    other = ArticleState(tmp_path, run_id="other")
    other.start_run()
    assert other.claim("4WK2B", 66808855) == CLAIMED_ELSEWHERE
    live.finish_run()
    assert other.claim("4WK2B", 66808855) == NEW


def test_recovery_discards_an_unfinished_part_file(tmp_path: Path) -> None:
    process = multiprocessing.get_context("spawn").Process(target=_claim_and_die, args=(str(tmp_path), False))
    process.start()
    process.join(30)
    assert (tmp_path / "f.jsonl.part").exists()
    run = ArticleState(tmp_path, run_id="next")
    recovered = run.start_run()
    assert recovered == {"dead_runs": 1, "claims_released": 2, "feeds_committed": 0, "parts_removed": 1}
    assert not (tmp_path / "f.jsonl.part").exists() and not (tmp_path / "f.jsonl").exists()
    assert run.claim("4WK2B", 66808855) == NEW


def test_recovery_commits_a_feed_renamed_but_not_recorded(tmp_path: Path) -> None:
    process = multiprocessing.get_context("spawn").Process(target=_claim_and_die, args=(str(tmp_path), True))
    process.start()
    process.join(30)
    run = ArticleState(tmp_path, run_id="next")
    assert run.start_run()["feeds_committed"] == 1
    assert run.claim_many([("4WK2B", 66808855), ("5FLOV", 77538843)]) == {"4WK2B": EXPORTED, "5FLOV": NEW}


def test_concurrent_processes_claim_each_article_once(tmp_path: Path) -> None:
    """Four processes claim the same 300 articles at once, each exporting what it won: each
    article goes to exactly one of them."""
    script = (
        "import sys, json; from pathlib import Path; from dwnews.state import ArticleState, NEW\n"
        "s = ArticleState(Path(sys.argv[1]), run_id=sys.argv[2]); s.start_run()\n"
        "won = []\n"
        "for start in range(0, 300, 10):\n"
        "    answers = s.claim_many([(f'id{i}', i) for i in range(start, start + 10)])\n"
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


def test_command_line_forget(tmp_path: Path, capsys: object) -> None:
    run = ArticleState(tmp_path, run_id="r")
    run.start_run()
    run.mark_skipped("4WK2B", 66808855, "not_politics")
    run.mark_skipped("5FLOV", 77538843, "not_politics")
    assert main(["--state-dir", str(tmp_path), "forget", "4WK2B"]) == 0
    assert run.counts() == {"skipped": 1}
    assert main(["--state-dir", str(tmp_path), "forget", "--all"]) == 0
    assert run.counts() == {}
    assert main(["--state-dir", str(tmp_path / "none"), "stats"]) == 1
