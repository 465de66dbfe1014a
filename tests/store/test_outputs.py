"""The one output writer (dwnews.store.outputs): real files, links, FIFOs and processes, no mocks.

Each attack of issue 21 against an output, tried on the writer itself: what a local user who can
write the output's folder plants there, two writers at once, a writer that dies.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

from dwnews.core.outcome import FeedBusyError
from dwnews.store.outputs import FileIdentity, Output, OutputRefusedError, umask
from tests.helpers import wait_until

NOBODY = 65534


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A shared output folder beside a secret one holding the victim file."""
    (tmp_path / "secret").mkdir()
    (tmp_path / "secret" / "victim").write_text("the victim's data\n")
    (tmp_path / "shared").mkdir()
    return tmp_path / "shared"


@pytest.fixture
def umask_027() -> Iterator[None]:
    """A umask that tells open()'s mode (0640) apart from mkstemp's (0600) and 0644."""
    previous = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(previous)


def victim(folder: Path) -> str:
    return (folder.parent / "secret" / "victim").read_text()


def write(target: Path, data: bytes, *, append: bool = False, wait: float = 0.0) -> None:
    with Output.open(target, append=append, wait=wait) as output:
        with output.handle() as handle:
            handle.write(data)
        output.commit()


def temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


def test_links_planted_at_the_old_fixed_names_are_never_written_through(folder: Path) -> None:
    """`ln -s ../secret/victim shared/out.jsonl.part` truncated the victim; the temporary file now
    has a name nobody can predict and is created exclusively, so planted names are never opened."""
    for name in ("out.jsonl.part", "out.jsonl.export.part", ".out.jsonl.part", ".out.jsonl.tmp"):
        (folder / name).symlink_to("../secret/victim")
    os.mkfifo(folder / "out.jsonl.fifo.part")
    write(folder / "out.jsonl", b'{"short_id": "4WK2B"}\n')
    assert (folder / "out.jsonl").read_bytes() == b'{"short_id": "4WK2B"}\n'
    assert victim(folder) == "the victim's data\n"
    ours = [path for path in temp_files(folder) if not path.is_symlink()]
    assert not ours and not (folder / ".out.jsonl.lock").exists(), "nothing of ours left"


def test_the_temporary_file_is_unpredictable_exclusive_and_beside_the_target(folder: Path) -> None:
    names = set()
    for _ in range(3):
        with Output.open(folder / "out.jsonl") as output:
            assert output.temp is not None and output.temp.parent == folder
            assert output.temp.name.startswith(".out.jsonl.") and output.temp.name.endswith(".part")
            names.add(output.temp.name)
    assert len(names) == 3, "a new random name each time"
    assert not temp_files(folder), "an output not committed is removed"


@pytest.mark.parametrize("plant", ["symlink", "fifo", "dangling-symlink"])
def test_a_link_or_fifo_planted_at_the_lock_name_is_refused_without_blocking(folder: Path, plant: str) -> None:
    lock = folder / ".out.jsonl.lock"
    if plant == "symlink":
        lock.symlink_to("../secret/victim")
    elif plant == "dangling-symlink":
        lock.symlink_to("../secret/created-through-the-link")
    else:
        os.mkfifo(lock)
    started = time.monotonic()
    with pytest.raises(OutputRefusedError) as refused:
        Output.open(folder / "out.jsonl")
    assert time.monotonic() - started < 5, "never blocks on a FIFO"
    message = str(refused.value)
    assert str(lock) in message and "\n" not in message
    assert victim(folder) == "the victim's data\n"
    assert not (folder.parent / "secret" / "created-through-the-link").exists()
    assert not temp_files(folder) and not (folder / "out.jsonl").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can plant a file owned by another user")
def test_a_lock_file_or_target_link_of_another_user_is_refused(folder: Path) -> None:
    lock = folder / ".out.jsonl.lock"
    lock.write_text("")
    os.chown(lock, NOBODY, NOBODY)
    with pytest.raises(OutputRefusedError, match="owned by uid 65534"):
        Output.open(folder / "out.jsonl")
    lock.unlink()

    link = folder / "latest.jsonl"
    link.symlink_to("../secret/victim")
    os.lchown(link, NOBODY, NOBODY)
    with pytest.raises(OutputRefusedError) as refused:
        Output.open(link)
    assert "symbolic link owned by uid 65534" in str(refused.value) and str(link) in str(refused.value)
    assert victim(folder) == "the victim's data\n" and link.is_symlink()


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can plant a link owned by another user")
def test_a_link_planted_between_the_check_and_the_open_is_not_followed(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name is resolved once, by the check; a link planted just after it is never followed."""
    from dwnews.store import outputs

    (folder / "sub").mkdir()
    target = folder / "sub" / "out.jsonl"
    target.write_text("ours\n")
    checked = outputs.follow_own_links

    def check_then_plant(path: Path) -> Path:
        resolved = checked(path)
        target.unlink()
        target.symlink_to("../../secret/victim")
        os.lchown(target, NOBODY, NOBODY)
        return resolved

    monkeypatch.setattr(outputs, "follow_own_links", check_then_plant)
    with pytest.raises(OutputRefusedError, match="became a symbolic link"):
        write(target, b"new\n")
    assert victim(folder) == "the victim's data\n"
    assert target.is_symlink() and not temp_files(folder / "sub"), "refused; the planted link left for its owner"


def test_a_second_writer_to_the_same_path_refuses_and_a_waiting_one_takes_its_turn(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dwnews.store import outputs

    target = folder / "siasa.jsonl"
    first = Output.open(target)
    with pytest.raises(FeedBusyError) as busy:
        Output.open(target)
    assert str(target) in str(busy.value) and "another run" in str(busy.value)
    with first.handle() as handle:
        handle.write(b"first\n")

    waiting = threading.Event()  # set when the second writer has found the lock held and waits

    def sleep(seconds: float) -> None:
        waiting.set()
        time.sleep(seconds)

    monkeypatch.setattr(outputs, "time", SimpleNamespace(sleep=sleep, monotonic=time.monotonic))
    second = threading.Thread(target=write, args=(target, b"second\n"), kwargs={"wait": 60.0})
    second.start()  # waits for the first to finish, then replaces it
    wait_until(waiting.is_set, what="the second writer waiting for the lock")
    first.commit()
    second.join(60)
    assert target.read_bytes() == b"second\n"
    assert not temp_files(folder) and not (folder / ".siasa.jsonl.lock").exists()


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask_mode(folder: Path, umask_027: None) -> None:
    assert umask() == 0o027
    private = folder / "private.jsonl"
    private.write_text("old\n")
    private.chmod(0o600)
    write(private, b"new\n")
    assert stat.S_IMODE(private.stat().st_mode) == 0o600 and private.read_text() == "new\n"

    shared = folder / "shared.jsonl"
    shared.write_text("old\n")
    shared.chmod(0o664)
    write(shared, b"new\n")
    assert stat.S_IMODE(shared.stat().st_mode) == 0o664

    fresh = folder / "fresh.jsonl"
    write(fresh, b"new\n")
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o640, "0666 & ~umask, as open() gives, not mkstemp's 0600"


def test_a_link_of_ours_is_followed_and_its_target_keeps_its_mode(folder: Path) -> None:
    real = folder / "corpus" / "siasa.jsonl"
    real.parent.mkdir()
    real.write_text("old\n")
    real.chmod(0o600)
    link = folder / "latest.jsonl"
    link.symlink_to(real)
    write(link, b"new\n")
    assert link.is_symlink() and os.readlink(link) == str(real), "the link is kept"
    assert real.read_text() == "new\n" and stat.S_IMODE(real.stat().st_mode) == 0o600


def test_append_copies_the_old_content_first(folder: Path) -> None:
    target = folder / "siasa.jsonl"
    target.write_bytes(b"one\n")
    write(target, b"two\n", append=True)
    assert target.read_bytes() == b"one\ntwo\n"


def test_devices_and_fifos_are_written_in_place(folder: Path) -> None:
    null = Output.open("/dev/null")
    assert null.in_place and null.temp is None
    with null.handle() as handle:
        handle.write(b"nothing\n")
    null.commit()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)

    fifo = folder / "pipe.jsonl"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    write(fifo, b"through the pipe\n")
    reader.join(30)
    assert received == [b"through the pipe\n"] and stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not temp_files(folder) and not (folder / ".pipe.jsonl.lock").exists()


def test_a_fifo_nobody_reads_is_refused_after_a_wait_not_hung_on(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dwnews.store import outputs

    monkeypatch.setattr(outputs, "FIFO_WAIT", 0.3)
    fifo = folder / "pipe.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(OutputRefusedError, match=r"a FIFO that no process read for 0\.3 s"):
        write(fifo, b"never read\n")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode) and not temp_files(folder)

    # a reader that comes late (the shell's next command, here once the writer found none) is waited for
    monkeypatch.setattr(outputs, "FIFO_WAIT", 30.0)
    no_reader_yet = threading.Event()

    def sleep(seconds: float) -> None:
        no_reader_yet.set()
        time.sleep(seconds)

    monkeypatch.setattr(outputs, "time", SimpleNamespace(sleep=sleep, monotonic=time.monotonic))
    received: list[bytes] = []
    output = Output.open(fifo)

    def read_late() -> None:
        no_reader_yet.wait(30)
        received.append(fifo.read_bytes())

    reader = threading.Thread(target=read_late)
    reader.start()
    with output.handle() as handle:
        handle.write(b"read late\n")
    output.commit()
    reader.join(30)
    assert received == [b"read late\n"]


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can plant a FIFO owned by another user")
def test_a_fifo_of_another_user_at_the_target_is_refused(folder: Path) -> None:
    fifo = folder / "out.jsonl"
    os.mkfifo(fifo)
    os.chown(fifo, NOBODY, NOBODY)
    started = time.monotonic()
    with pytest.raises(OutputRefusedError, match="owned by uid 65534"):
        Output.open(fifo)
    assert time.monotonic() - started < 5 and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_an_error_removes_the_temporary_file_and_the_lock(folder: Path) -> None:
    target = folder / "siasa.jsonl"
    target.write_text("kept\n")
    with pytest.raises(RuntimeError), Output.open(target) as output:
        with output.handle() as handle:
            handle.write(b"half a feed")
        assert temp_files(folder)
        raise RuntimeError("the export failed half-way")
    assert not temp_files(folder) and not (folder / ".siasa.jsonl.lock").exists()
    assert target.read_text() == "kept\n"


def test_a_process_that_exits_without_finishing_leaves_no_temporary_file(folder: Path) -> None:
    """A crawl stopped by a second Ctrl-C ends without closing its feeds: the interpreter's exit
    removes what was not committed (a real process)."""
    script = (
        "import sys; from dwnews.store.outputs import Output\n"
        "output = Output.open(sys.argv[1])\n"
        "output.handle().write(b'half')\n"
        "print(output.temp, flush=True)\n"
        "sys.exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(folder / "siasa.jsonl")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(str(folder / ".siasa.jsonl."))
    assert not temp_files(folder) and not (folder / "siasa.jsonl").exists()
    assert not (folder / ".siasa.jsonl.lock").exists()


def test_a_stale_lock_file_of_ours_left_by_a_killed_writer_is_taken(folder: Path) -> None:
    (folder / ".siasa.jsonl.lock").write_text("")  # a writer killed with SIGKILL left it: nobody holds it
    write(folder / "siasa.jsonl", b"ok\n")
    assert (folder / "siasa.jsonl").read_bytes() == b"ok\n"


def test_the_identity_is_what_the_rename_keeps(folder: Path) -> None:
    target = folder / "siasa.jsonl"
    with Output.open(target) as output:
        with output.handle() as handle:
            handle.write(b"records\n")
        before = output.finish()
        output.commit()
    assert FileIdentity.at(target) == before
    assert FileIdentity.parse(before.text()) == before
    target.write_text("records\nand a line someone added\n")
    assert FileIdentity.at(target) != before
