"""Exactly once at the edges a user hits: storage faults exit 4, feeds are views of the ledger.

Real `scrapy crawl` subprocesses against the loopback mirror, real files, real mounts: a full disk
is a small tmpfs (where the machine lets the tests mount one), a read-only folder a read-only one.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
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
    assert not (mount_point / "siasa.jsonl").exists() and not list(mount_point.glob(".siasa.jsonl.*"))
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
    """Run A is writing siasa.jsonl (its lock .siasa.jsonl.lock held); run B, crawling another mirror
    into the same file, refuses before any request."""
    feed = tmp_path / "siasa.jsonl"
    release = threading.Event()
    with MirrorServer(SITE) as slow, MirrorServer(SITE) as other:
        slow.faults["sw/a-66808855"] = Fault("block", release=release, seconds=120)
        first = crawl_args(slow.base_url, "politics", tmp_path / "a", *QUIET, state_dir=tmp_path / "sa")
        first[first.index("-O") + 1] = str(feed)
        running = subprocess.Popen(first, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        try:
            lock = feed.with_name(".siasa.jsonl.lock")
            wait_until(lambda: lock.exists() and _locked(lock), what="run A's lock")
            second = crawl_args(other.base_url, "politics", tmp_path / "b", *QUIET, state_dir=tmp_path / "sb")
            second[second.index("-O") + 1] = str(feed)
            done = subprocess.run(second, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
            assert done.returncode == 2, done.stderr[-3000:]
            lines = [line for line in done.stderr.splitlines() if "dwnews: " in line]
            assert len(lines) == 1 and "being written by another run" in lines[0], done.stderr[-3000:]
            assert str(feed) in lines[0] and "Traceback" not in done.stderr
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


def test_a_crawl_with_no_feed_at_all_is_refused_at_start(mirror: MirrorServer, tmp_path: Path) -> None:
    """`-s DWNEWS_DEFAULT_FEED=` and no -O/-o: the crawl downloaded every politics article, kept none,
    and said `health: ok`, exit 0."""
    command = [arg for arg in crawl_args(mirror.base_url, "politics", tmp_path, *QUIET) if arg != "-O"]
    command.remove(str(tmp_path / "items.jsonl"))
    command += ["-s", "DWNEWS_DEFAULT_FEED="]
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr[-3000:]
    lines = [line for line in done.stderr.splitlines() if "dwnews: " in line]
    assert len(lines) == 1 and "no feed: the articles this crawl downloads would be kept nowhere" in lines[0], lines
    assert mirror.paths() == []


# ----- what a local user plants beside an output (issue 21) -----------------------------------------


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """A shared output folder (a cron job's), beside a secret folder holding the victim file."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "victim").write_text("the victim's data\n")
    (tmp_path / "shared").mkdir()
    return tmp_path / "shared"


def _victim(shared: Path) -> str:
    return (shared.parent / "secret" / "victim").read_text()


def _crawl_to(base_url: str, run_dir: Path, feed: Path, state: Path, timeout: float = 120) -> CrawlResult:
    command = crawl_args(base_url, "politics", run_dir, *QUIET, state_dir=state)
    command[command.index("-O") + 1] = str(feed)
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout, check=False)
    return read_result(run_dir, done.returncode, done.stderr)


def test_a_link_planted_at_the_old_part_name_is_never_written_through(
    mirror: MirrorServer, shared: Path, tmp_path: Path
) -> None:
    """`ln -s ../secret/victim shared/out.jsonl.part`, then `scrapy crawl politics -O shared/out.jsonl`:
    the crawl used to truncate the victim and write the records into it (exit 0)."""
    for name in ("out.jsonl.part", ".out.jsonl.part"):
        (shared / name).symlink_to("../secret/victim")
    result = _crawl_to(mirror.base_url, tmp_path / "run", shared / "out.jsonl", tmp_path / "state")
    assert result.returncode == 0, result.log[-3000:]
    assert _victim(shared) == "the victim's data\n"
    lines = (shared / "out.jsonl").read_text("utf-8").splitlines()
    assert Counter(json.loads(line)["content_id"] for line in lines) == Counter(POLITICS)
    left = sorted(p.name for p in shared.iterdir())
    assert left == [".out.jsonl.part", "out.jsonl", "out.jsonl.part"], "no temporary file or lock of ours left"


@pytest.mark.parametrize("plant", ["symlink", "fifo"])
def test_a_link_or_fifo_planted_at_the_feeds_lock_is_refused_before_any_request(
    mirror: MirrorServer, shared: Path, tmp_path: Path, plant: str
) -> None:
    lock = shared / ".out.jsonl.lock"
    if plant == "symlink":
        lock.symlink_to("../secret/victim")
    else:
        os.mkfifo(lock)
    result = _crawl_to(mirror.base_url, tmp_path / "run", shared / "out.jsonl", tmp_path / "state", timeout=60)
    assert result.returncode == 2, result.log[-3000:]
    lines = [line for line in result.log.splitlines() if "dwnews: " in line and "ERROR" in line]
    assert len(lines) == 1 and str(lock) in lines[0] and "refused" in lines[0], lines
    assert "Traceback" not in result.log
    assert mirror.paths() == [], "refused before any request"
    assert _victim(shared) == "the victim's data\n"
    assert sorted(p.name for p in shared.iterdir()) == [".out.jsonl.lock"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can plant a link owned by another user")
def test_a_feed_target_that_is_another_users_link_is_refused(
    mirror: MirrorServer, shared: Path, tmp_path: Path
) -> None:
    """A crawl run by root (cron) must not follow a link another user put at its -O path."""
    link = shared / "out.jsonl"
    link.symlink_to("../secret/victim")
    os.lchown(link, 65534, 65534)
    result = _crawl_to(mirror.base_url, tmp_path / "run", link, tmp_path / "state", timeout=60)
    assert result.returncode == 2, result.log[-3000:]
    lines = [line for line in result.log.splitlines() if "dwnews: " in line and "ERROR" in line]
    assert len(lines) == 1 and "symbolic link owned by uid 65534" in lines[0], lines
    assert _victim(shared) == "the victim's data\n" and mirror.paths() == []


def test_a_crawl_stopped_by_sigterm_twice_leaves_no_temporary_file(tmp_path: Path) -> None:
    """A second SIGTERM forces Scrapy's unclean shutdown: the feed is never closed; the writer's
    exit hook removes its temporary file and lock, and the next run exports everything once."""
    feed, state = tmp_path / "siasa.jsonl", tmp_path / "state"
    release = threading.Event()
    with MirrorServer(SITE) as slow:
        slow.faults["sw/a-66808855"] = Fault("block", release=release, seconds=120)
        command = crawl_args(slow.base_url, "politics", tmp_path / "a", *QUIET, state_dir=state)
        command[command.index("-O") + 1] = str(feed)
        running = subprocess.Popen(command, cwd=PROJECT_ROOT, stderr=subprocess.PIPE, text=True)
        log: list[str] = []
        reader = threading.Thread(target=lambda: log.extend(running.stderr or []))
        reader.start()
        try:
            wait_until(lambda: any("a-66808855" in path for path in slow.paths()), what="the blocked request")
            assert list(tmp_path.glob(".siasa.jsonl.*.part")), "the feed's temporary file exists mid-crawl"
            running.send_signal(signal.SIGTERM)
            wait_until(lambda: any("shutting down gracefully" in line for line in log), what="the first SIGTERM")
            running.send_signal(signal.SIGTERM)
            running.wait(120)
        finally:
            release.set()
            if running.poll() is None:
                running.kill()
            reader.join(30)
        assert any("forcing unclean shutdown" in line for line in log), "".join(log)[-3000:]
        assert not list(tmp_path.glob(".siasa.jsonl.*")), "no temporary file, no lock left"
        again = _crawl_to(slow.base_url, tmp_path / "b", feed, state)
    assert again.returncode == 0, again.log[-3000:]
    exported = Counter(json.loads(line)["content_id"] for line in feed.read_text("utf-8").splitlines())
    assert exported == Counter(POLITICS)


# ----- recovery trusts only what this ledger staged (issue 21) --------------------------------------

#: `scrapy crawl` whose ledger commit is a SIGKILL: the run dies between its feed's rename and the
#: commit of its articles, the one point where recovery must decide what the file at the path is
KILLED_AFTER_RENAME = (
    "import os, signal, sys\n"
    "from dwnews.store.sqlite import SqliteLedger\n"
    "def killed(*args, **kwargs):\n"
    "    os.kill(os.getpid(), signal.SIGKILL)\n"
    "SqliteLedger.feed_stored = killed\n"
    "from scrapy.cmdline import execute\n"
    "sys.argv = ['scrapy', *sys.argv[1:]]\n"
    "execute()\n"
)


def _foreign_export(tmp_path: Path, target: Path) -> set[str]:
    """Another state dir's corpus exported to ``target`` (real records, and some this mirror has
    not): the short ids it holds."""
    from dwnews.core.ids import content_id_to_short_id
    from tests.helpers import real_records

    records = real_records()
    for content_id in range(91000001, 91000004):
        records.append({**records[0], "content_id": content_id, "short_id": content_id_to_short_id(content_id)})
    source = tmp_path / "foreign-source.jsonl"
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), "utf-8")
    other_state = ["--state-dir", str(tmp_path / "other-state")]
    assert state_main([*other_state, "import", str(source)]) == 0
    assert state_main([*other_state, "export", "-O", str(target)]) == 0
    return {r["short_id"] for r in records}


def test_recovery_leaves_a_foreign_file_at_a_dead_runs_feed_path_alone(mirror: MirrorServer, tmp_path: Path) -> None:
    """A run killed with -9 after its feed's rename, before the commit; another state dir's export is
    put at its -O path. The next run used to commit every short id in that file as exported (most
    without a record, never fetched again). Now: the file is left alone, nothing in it is recorded,
    and the killed run's articles are exported by the next run."""
    state, feed = tmp_path / "state", tmp_path / "shared" / "siasa.jsonl"
    command = crawl_args(mirror.base_url, "politics", tmp_path / "killed", *QUIET, state_dir=state)
    command[command.index("-O") + 1] = str(feed)
    assert command[1:3] == ["-m", "scrapy"]
    command[1:3] = ["-c", KILLED_AFTER_RENAME]
    killed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    in_place = [json.loads(line)["content_id"] for line in feed.read_text("utf-8").splitlines()]
    assert Counter(in_place) == Counter(POLITICS), "killed after its feed was renamed into place"

    feed.unlink()  # the file goes; another state dir's export is put at the same path
    foreign_ids = _foreign_export(tmp_path, feed)
    before = hashlib.sha256(feed.read_bytes()).hexdigest()

    later = run_crawl(mirror.base_url, "politics", tmp_path / "next", *QUIET, state_dir=state)
    assert later.returncode == 0, later.log[-3000:]
    assert hashlib.sha256(feed.read_bytes()).hexdigest() == before, "the foreign file is left alone"
    ledger = SqliteLedger(state, read_only=True)
    exported = {row[0] for row in ledger.db.execute("SELECT short_id FROM articles WHERE status = 'exported'")}
    strangers = foreign_ids - {item["short_id"] for item in later.items}  # not on this mirror, or not politics
    assert len(strangers) >= 3 and not strangers & exported, "no short id of the foreign file is recorded"
    assert ledger.exported_without_record() == 0
    assert {item["content_id"] for item in later.items} == POLITICS, "the killed run's articles, fetched again"
    assert exported == {item["short_id"] for item in later.items}, "nothing recorded from the foreign file"
    assert later.stat("dwnews/state/recovered/feeds_not_ours") == 1
    assert "not the file the run that died" in later.log


def test_recovery_commits_the_dead_runs_own_feed(mirror: MirrorServer, tmp_path: Path) -> None:
    """The same kill with the feed left as the run wrote it: the next run records it (its identity
    matches), and downloads none of its articles again."""
    state, feed = tmp_path / "state", tmp_path / "siasa.jsonl"
    command = crawl_args(mirror.base_url, "politics", tmp_path / "killed", *QUIET, state_dir=state)
    command[command.index("-O") + 1] = str(feed)
    command[1:3] = ["-c", KILLED_AFTER_RENAME]
    killed = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    before = len(mirror.requests)
    later = run_crawl(mirror.base_url, "politics", tmp_path / "next", *QUIET, state_dir=state)
    assert later.returncode == 0, later.log[-3000:]
    assert later.stat("dwnews/state/recovered/feeds_committed") == 1 and later.items == []
    assert not [r for r in mirror.requests[before:] if "/a-" in r.path and r.status == 200], "nothing fetched twice"
    corpus = export_corpus(state, tmp_path / "corpus.jsonl")
    assert Counter(r["content_id"] for r in corpus) == Counter(POLITICS)


# ----- honest storage messages (issue 21) ----------------------------------------------------------


def test_a_state_dir_on_a_read_only_file_system_is_said_so_and_still_exports(
    mirror: MirrorServer, mount_point: Path, tmp_path: Path
) -> None:
    """A state dir that cannot be written was called "corrupt ... move it aside", even by the
    read-only `export` and `stats`. On a read-only bind mount (root ignores chmod; a mount stops it
    too): the crawl says "cannot write: read-only file system" (exit 4); `stats` and `export` read the
    database as it is (nothing can change it there)."""
    state = tmp_path / "state"
    first = run_crawl(mirror.base_url, "politics", tmp_path / "1", *QUIET, state_dir=state)
    assert first.returncode == 0, first.log[-3000:]
    first_paths = mirror.paths()
    subprocess.run(["mount", "--bind", str(state), str(mount_point)], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", str(mount_point)], check=True)
    before = hashlib.sha256((mount_point / "articles.sqlite3").read_bytes()).hexdigest()
    second = run_crawl(mirror.base_url, "politics", tmp_path / "2", *QUIET, state_dir=mount_point)
    assert_one_line_fault(second, str(mount_point), "cannot write: read-only file system")
    assert "corrupt" not in second.log and "mv " not in second.log
    assert second.items == [] and len(mirror.paths()) == len(first_paths), "stopped before any request"
    for command in (["stats"], ["export", "-O", str(tmp_path / "corpus.jsonl")]):
        done = subprocess.run(
            [sys.executable, "-m", "dwnews.state", "--state-dir", str(mount_point), *command],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
    corpus = [json.loads(line) for line in (tmp_path / "corpus.jsonl").read_text("utf-8").splitlines()]
    assert Counter(r["content_id"] for r in corpus) == Counter(POLITICS)
    assert hashlib.sha256((mount_point / "articles.sqlite3").read_bytes()).hexdigest() == before


def test_stdout_is_written_in_place_and_its_articles_recorded(mirror: MirrorServer, tmp_path: Path) -> None:
    """`-O stdout::jsonlines` goes around the output writer's temporary file: written as it comes."""
    command = crawl_args(mirror.base_url, "politics", tmp_path, *QUIET)
    command[command.index("-O") + 1] = "stdout::jsonlines"  # the URI "stdout:", the format after the last colon
    done = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert {json.loads(line)["content_id"] for line in done.stdout.splitlines()} == POLITICS
    assert SqliteLedger(tmp_path / "state", read_only=True).counts()["exported"] == len(POLITICS)
    assert not list(tmp_path.glob(".*.part"))
