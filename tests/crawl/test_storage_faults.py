"""Exactly once at the edges a user hits: storage faults exit 4, feeds are views of the ledger.

Real `scrapy crawl` subprocesses against the loopback mirror, real files, real mounts: a full disk
is a small tmpfs (where the machine lets the tests mount one), a read-only folder a read-only one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import stat
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from dwnews.commands.state import main as state_main
from dwnews.mirror import PROJECT_ROOT, Fault, MirrorServer
from dwnews.store.sqlite import SqliteLedger
from tests.helpers import POLITICS, SITE, CrawlResult, crawl_args, read_result, run_crawl, wait_until

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

QUIET = ("-s", "LOG_LEVEL=INFO")


def dwnews_lines(result: CrawlResult) -> list[str]:
    return [line for line in result.log.splitlines() if "dwnews: " in line and "ERROR" in line]


def assert_one_line_fault(result: CrawlResult, *words: str) -> None:
    """Exit 4, one `dwnews: storage fault` line naming the cause, no traceback, not healthy."""
    assert result.returncode == 4, result.log[-3000:]
    faults = [line for line in dwnews_lines(result) if "storage fault" in line]
    assert faults, result.log[-3000:]
    for word in words:
        assert word in faults[0], faults[0]
    assert "Traceback" not in result.log, result.log[-3000:]
    assert not result.stat("dwnews/health/ok")


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    """A folder to mount a tmpfs on (unmounted afterwards); skipped where mounting is not allowed."""
    point = tmp_path / "mnt"
    point.mkdir()
    probe = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(point)], capture_output=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode(errors='replace').strip()}")
    subprocess.run(["umount", str(point)], check=True)
    yield point
    subprocess.run(["umount", "-l", str(point)], capture_output=True)


def mount(point: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)


def fill(point: Path) -> None:
    """Fill a filesystem to the last byte."""
    fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while os.write(fd, b"\0" * 512):
            pass
    except OSError:
        pass  # ENOSPC: full
    finally:
        os.close(fd)


def export_corpus(state: Path, out: Path) -> list[dict[str, object]]:
    assert state_main(["--state-dir", str(state), "export", "-O", str(out)]) == 0
    return [json.loads(line) for line in out.read_text("utf-8").splitlines()]


# ----- the main command, twice --------------------------------------------------------------------


def test_repeating_the_main_command_loses_nothing(mirror: MirrorServer, tmp_path: Path) -> None:
    """`scrapy crawl politics -O siasa.jsonl` twice: the second feed holds what it added (none), and
    the corpus is still whole in the ledger, exported once per article."""
    state = tmp_path / "state"
    first = run_crawl(mirror.base_url, "politics", tmp_path, *QUIET, state_dir=state)
    assert first.returncode == 0 and {i["content_id"] for i in first.items} == POLITICS
    second = run_crawl(mirror.base_url, "politics", tmp_path, *QUIET, state_dir=state)
    assert second.returncode == 0 and second.items == []
    corpus = export_corpus(state, tmp_path / "corpus.jsonl")
    assert Counter(r["content_id"] for r in corpus) == Counter(POLITICS)
    by_id = {r["short_id"]: r for r in corpus}
    assert all(by_id[item["short_id"]] == item for item in first.items), "the corpus holds the records as exported"


# ----- storage faults -------------------------------------------------------------------------------


def test_a_state_dir_that_is_a_file_exits_4(mirror: MirrorServer, tmp_path: Path) -> None:
    state = tmp_path / "state-file"
    state.write_text("not a folder")
    result = run_crawl(mirror.base_url, "politics", tmp_path / "run", *QUIET, state_dir=state)
    assert_one_line_fault(result, str(state), "not a directory")
    assert result.items == [] and mirror.paths() == [], "stopped before any request"


def test_a_corrupt_database_exits_4_and_is_not_modified(mirror: MirrorServer, tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    db = state / "articles.sqlite3"
    db.write_bytes(b"SQLite format 2? no: a file a backup tool truncated\n" * 200)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    result = run_crawl(mirror.base_url, "politics", tmp_path / "run", *QUIET, state_dir=state)
    assert_one_line_fault(result, str(db), "corrupt", "mv ")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in state.iterdir()) == ["articles.sqlite3"]
    assert mirror.paths() == []


def test_an_unknown_placeholder_in_the_feed_uri_exits_4(mirror: MirrorServer, tmp_path: Path) -> None:
    command = crawl_args(mirror.base_url, "politics", tmp_path, *QUIET)
    command[command.index("-O") + 1] = str(tmp_path / "feed-%(foo)s.jsonl")
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    result = read_result(tmp_path, done.returncode, done.stderr)
    assert_one_line_fault(result, "bad feed URI", "foo")
    assert mirror.paths() == []


def test_a_read_only_output_folder_exits_4(mirror: MirrorServer, mount_point: Path, tmp_path: Path) -> None:
    mount(mount_point, "ro,size=1m")
    command = crawl_args(mirror.base_url, "politics", tmp_path, *QUIET)
    command[command.index("-O") + 1] = str(mount_point / "siasa.jsonl")
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    result = read_result(tmp_path, done.returncode, done.stderr)
    assert_one_line_fault(result, str(mount_point), "Read-only file system")
    assert mirror.paths() == [], "the feed is checked before any request"


def test_a_full_disk_for_the_feed_exits_4_and_the_next_run_exports_what_was_missed(
    mirror: MirrorServer, mount_point: Path, tmp_path: Path
) -> None:
    mount(mount_point, "size=256k")
    fill(mount_point)
    state = tmp_path / "state"
    command = crawl_args(mirror.base_url, "politics", tmp_path / "full", *QUIET, state_dir=state)
    command[command.index("-O") + 1] = str(mount_point / "siasa.jsonl")
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    full = read_result(tmp_path / "full", done.returncode, done.stderr)
    assert_one_line_fault(full, "No space left on device")
    assert not (mount_point / "siasa.jsonl").exists() and not (mount_point / "siasa.jsonl.part").exists()
    assert SqliteLedger(state, read_only=True).counts().get("exported", 0) == 0, "nothing marked exported"

    (mount_point / "filler").unlink()  # the disk is freed: the next run exports everything, once
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = (mount_point / "siasa.jsonl").read_text("utf-8").splitlines()
    assert Counter(json.loads(line)["content_id"] for line in lines) == Counter(POLITICS)


def test_a_full_disk_for_the_state_exits_4(mirror: MirrorServer, mount_point: Path, tmp_path: Path) -> None:
    mount(mount_point, "size=4m")  # the ledger keeps the records: room for one crawl's
    state = mount_point / "state"
    first = run_crawl(mirror.base_url, "politics", tmp_path / "1", *QUIET, state_dir=state)
    assert first.returncode == 0
    forgotten = [first.items[0]["short_id"]]
    SqliteLedger(state).forget(forgotten)  # one article to export again
    fill(mount_point)
    second = run_crawl(mirror.base_url, "politics", tmp_path / "2", *QUIET, state_dir=state)
    assert_one_line_fault(second, "full")
    assert second.items == [], "a feed whose articles cannot be recorded is not put in place"
    (mount_point / "filler").unlink()
    third = run_crawl(mirror.base_url, "politics", tmp_path / "3", *QUIET, state_dir=state)
    assert third.returncode == 0, third.log[-3000:]
    assert [i["short_id"] for i in third.items] == forgotten, "what was missed is exported once"


# ----- feed targets ---------------------------------------------------------------------------------


def test_a_second_run_writing_the_same_feed_refuses_with_exit_2(tmp_path: Path) -> None:
    """Run A is writing siasa.jsonl (its .part locked); run B, crawling another mirror into the same
    file, refuses before any request."""
    feed = tmp_path / "siasa.jsonl"
    release = threading.Event()
    with MirrorServer(SITE) as slow, MirrorServer(SITE) as other:
        slow.faults["sw/a-66808855"] = Fault("block", release=release, seconds=120)
        first = crawl_args(slow.base_url, "politics", tmp_path / "a", *QUIET, state_dir=tmp_path / "sa")
        first[first.index("-O") + 1] = str(feed)
        running = subprocess.Popen(first, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        try:
            part = feed.with_name("siasa.jsonl.part")
            wait_until(lambda: part.exists() and _locked(part), what="run A's locked .part")
            second = crawl_args(other.base_url, "politics", tmp_path / "b", *QUIET, state_dir=tmp_path / "sb")
            second[second.index("-O") + 1] = str(feed)
            done = subprocess.run(second, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == 2, done.stderr[-3000:]
            assert "is being written by another run" in done.stderr and "Traceback" not in done.stderr
            assert other.paths() == [], "refused before any request"
        finally:
            release.set()
            assert running.wait(240) == 0
    lines = feed.read_text("utf-8").splitlines()
    assert Counter(json.loads(line)["content_id"] for line in lines) == Counter(POLITICS), "A's feed is whole"


def _locked(path: Path) -> bool:
    with path.open("rb") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def test_dev_null_a_fifo_and_a_symlink_are_written_in_place(mirror: MirrorServer, tmp_path: Path) -> None:
    null_before = os.stat("/dev/null")
    null = run_crawl(
        mirror.base_url, "politics", tmp_path / "n", *QUIET, "-O", "/dev/null:jsonlines", state_dir=tmp_path / "s1"
    )
    assert null.returncode == 0, null.log[-2000:]
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == null_before.st_rdev, "/dev/null is still the device"
    assert SqliteLedger(tmp_path / "s1", read_only=True).counts()["exported"] == len(POLITICS)

    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    piped = run_crawl(
        mirror.base_url, "politics", tmp_path / "f", *QUIET, "-O", f"{fifo}:jsonlines", state_dir=tmp_path / "s2"
    )
    reader.join(60)
    assert piped.returncode == 0, piped.log[-2000:]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert {json.loads(line)["content_id"] for line in received[0].decode().splitlines()} == POLITICS

    # /dev/stdout that is a pipe (`scrapy crawl ... -O /dev/stdout:jsonlines | wc -l`)
    command = crawl_args(mirror.base_url, "politics", tmp_path / "p", *QUIET, state_dir=tmp_path / "s4")
    command[command.index("-O") + 1] = "/dev/stdout:jsonlines"
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert {json.loads(line)["content_id"] for line in done.stdout.splitlines()} == POLITICS

    real = tmp_path / "corpus" / "siasa.jsonl"
    real.parent.mkdir()
    real.write_text("")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(real)
    linked = run_crawl(mirror.base_url, "politics", tmp_path / "l", *QUIET, "-O", str(link), state_dir=tmp_path / "s3")
    assert linked.returncode == 0
    assert link.is_symlink() and os.readlink(link) == str(real), "the symlink is kept"
    assert {json.loads(line)["content_id"] for line in real.read_text().splitlines()} == POLITICS


# ----- the failures of earlier runs -----------------------------------------------------------------


def test_failures_are_recorded_only_by_incremental_politics_crawls(mirror: MirrorServer, tmp_path: Path) -> None:
    off = run_crawl(
        mirror.base_url,
        "politics",
        tmp_path / "off",
        *QUIET,
        "-s",
        "DWNEWS_INCREMENTAL=False",
        state_dir=tmp_path / "s",
    )
    assert off.returncode == 0 and {i["content_id"] for i in off.items} == POLITICS
    one_off = run_crawl(
        mirror.base_url, "article", tmp_path / "one", *QUIET, "-a", "url=/sw/x/a-66899999", state_dir=tmp_path / "s"
    )
    assert one_off.stat("dwnews/failed/article/http_404") == 1
    assert not (tmp_path / "s").exists(), "neither touched the state dir"


def test_an_article_failing_for_good_is_given_up_after_the_limit(mirror: MirrorServer, tmp_path: Path) -> None:
    state = tmp_path / "state"
    limit = ("-s", "DWNEWS_MAX_FAILURES=2")
    runs = [
        run_crawl(mirror.base_url, "politics", tmp_path / str(n), *QUIET, *limit, state_dir=state) for n in range(3)
    ]
    dead = "/a-66899999"  # the mirror's dead link: 404 every time
    assert runs[1].stat("dwnews/source/failures/found") == 1, "retried by the next run"
    assert runs[1].stat("dwnews/failures/given_up") == 1 and "Given up on /sw/" in runs[1].log
    assert runs[2].stat("dwnews/source/failures/found") == 0, "no longer retried"
    entries = SqliteLedger(state, read_only=True).failures()
    assert [(e["given_up"], e["path"].endswith(dead)) for e in entries] == [(1, True)]


@pytest.mark.parametrize(
    ("feed", "extra", "says"),
    [
        ("-O {dir}/siasa.xml", (), "cannot be read back"),
        ("-o {dir}/siasa.json", (), "appending (-o) to a JSON array"),
        ("-O foo://siasa.jsonl", (), "no feed can be written"),
        ("-O {dir}/siasa.jsonl", ("-s", "FEED_EXPORT_FIELDS=title,body"), "leave out short_id"),
    ],
    ids=["xml", "json-append", "unknown-scheme", "no-short-id"],
)
def test_a_feed_whose_articles_cannot_be_recorded_is_refused_at_start(
    mirror: MirrorServer, tmp_path: Path, feed: str, extra: tuple[str, ...], says: str
) -> None:
    """Its articles would never count as exported, and every run would export them again."""
    option, target = feed.format(dir=tmp_path).split(" ", 1)
    command = [arg for arg in crawl_args(mirror.base_url, "politics", tmp_path, *QUIET, *extra) if arg != "-O"]
    command.remove(str(tmp_path / "items.jsonl"))
    done = subprocess.run(
        [*command, option, target], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if "dwnews: " in line]
    assert len(lines) == 1 and says in lines[0], lines
    assert "Traceback" not in done.stderr
    assert mirror.paths() == []
