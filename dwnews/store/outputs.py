"""One writer for every output: the crawl's feeds, the state command's exports, the stats file.

An output is written where anyone who can write its folder may have planted something first (a
cron job's shared folder). What :class:`Output` promises, so that no such file makes a writer
overwrite another file, hang, or mix two writers' output:

- **The temporary file** is made by :func:`tempfile.mkstemp` in the target's folder
  (``O_CREAT | O_EXCL | O_NOFOLLOW``, a random name ``.<name>.<random>.part``): never opened by a
  fixed name, never through a link, and no FIFO or file planted anywhere is ever written.
  It is renamed over the target when complete (a rename replaces a link, never writes through it).
- **One lock per output path** (``flock`` on ``.<name>.lock`` beside it): a second writer to the same
  path refuses (:class:`~dwnews.core.outcome.FeedBusyError`, exit status 2) instead of mixing its
  records in, or waits up to ``wait`` seconds first (the stats file). The lock file is opened with
  ``O_NOFOLLOW | O_NONBLOCK`` and must then be a regular file owned by this user: a link, a FIFO or
  another user's file there is refused (:class:`OutputRefusedError`), never followed or blocked on. The
  holder removes it when done.
- **The target:** a symbolic link is followed only when it belongs to this user (or to root: the
  system's ``/dev/stdout``); another user's link is refused. A device, a FIFO or a terminal is
  written in place, by the name given, as Scrapy would, when it is this user's or root's (another
  user's FIFO is refused); a FIFO is opened without blocking and refused when no process has read
  it for ``FIFO_WAIT`` seconds, instead of hanging the writer. A replaced file of this user's keeps its
  permission bits (another user's: never more open than they were, nor than a new file's); a new
  one gets ``0666 & ~umask``, as ``open()`` would give it (not mkstemp's 0600). Appending (``-o``)
  copies the current content into the temporary file first.
- **Clean-up:** the temporary file is removed on any error and on any exception (a command turns
  SIGTERM and SIGINT into one), and at interpreter exit for an output neither committed nor aborted
  (a crawl stopped by a second Ctrl-C). A process killed with SIGKILL cannot clean up: the crawl's
  ledger records the temporary file's name when the feed is opened, and the next run removes it.

OS errors become one :class:`~dwnews.core.outcome.StorageError` naming the path and the cause.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import fcntl
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

from dwnews.core.outcome import FeedBusyError, StorageError

#: the suffix of every temporary output file (``.<name>.<random>.part``)
TEMP_SUFFIX = ".part"
#: links this many deep are refused (the kernel's own limit is 40)
_MAX_LINKS = 40
# file names are at most 255 bytes: a long target name is cut in its temporary and lock names
_NAME_ROOM = 200
# how long a FIFO target may go without a reader before the output is refused
FIFO_WAIT = 30.0


class OutputRefusedError(FeedBusyError):
    """An output this process will not write (another user's link, a planted lock): exit status 2."""


@dataclass(frozen=True)
class FileIdentity:
    """What a rename keeps of a file: device, inode, size, modification time (nanoseconds).

    Recorded before a feed is renamed into place, it tells a later run whether the file at the path
    is still that feed (see :meth:`dwnews.store.sqlite.SqliteLedger.recover`).
    """

    device: int
    inode: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileIdentity:
        return cls(status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)

    @classmethod
    def at(cls, path: Path) -> FileIdentity | None:
        """The identity of the regular file at ``path`` (a link is not followed), or None."""
        try:
            status = os.lstat(path)
        except OSError:
            return None
        return cls.of(status) if stat.S_ISREG(status.st_mode) else None

    def text(self) -> str:
        return f"{self.device}:{self.inode}:{self.size}:{self.mtime_ns}"

    @classmethod
    def parse(cls, text: str | None) -> FileIdentity | None:
        try:
            device, inode, size, mtime_ns = (int(part) for part in str(text).split(":"))
        except ValueError:
            return None
        return cls(device, inode, size, mtime_ns)


def _fault(error: OSError, path: Path | str) -> StorageError:
    return StorageError(error.filename or path, error.strerror or str(error))


def umask() -> int:
    """This process's umask, read without changing it (another thread may be creating a file)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    current = os.umask(0o022)  # no /proc: the only other way to learn it is to set it
    os.umask(current)
    return current


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def follow_own_links(path: Path) -> Path:
    """The path ``path`` leads to; refused if it is (or leads through) a link owned by another user.

    A link of this user's, or of root's (the system's ``/dev/stdout`` -> ``/proc/self/fd/1``), is
    followed: whoever owns it could write its destination themselves. Checked link by link, and the
    path returned is the one checked (resolving the name again could follow a link planted since).
    """
    me = os.geteuid()
    current = Path(os.path.abspath(path))
    for _ in range(_MAX_LINKS):
        try:
            status = os.lstat(current)
        except (FileNotFoundError, NotADirectoryError):
            return current  # a name that does not exist (yet), or /proc/self/fd/1's "pipe:[n]"
        if not stat.S_ISLNK(status.st_mode):
            return current
        if status.st_uid not in (me, 0):
            raise OutputRefusedError(
                f"{current}: a symbolic link owned by uid {status.st_uid}, not by this user (uid {me}): "
                "not followed; remove it or write elsewhere"
            )
        current = Path(os.path.realpath(current.parent)) / os.readlink(current)
        current = Path(os.path.abspath(current))
    raise OutputRefusedError(f"{path}: more than {_MAX_LINKS} symbolic links deep: not followed")


class OutputLock:
    """An exclusive ``flock`` on ``.<name>.lock`` beside an output path; see the module docstring."""

    def __init__(self, target: Path, wait: float = 0.0) -> None:
        self.path = target.with_name(f".{target.name[:_NAME_ROOM]}.lock")
        self.target = target
        self.fd: int | None = None
        deadline = time.monotonic() + wait
        for _ in range(100):  # a lock file removed by its holder between our open and flock: again
            fd = self._open()
            try:
                if self._take(fd, deadline) and self._still_there(fd):
                    self.fd = fd
                    return
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
        raise FeedBusyError(f"{target}: its lock {self.path.name} keeps changing: another writer is at it")

    def _open(self) -> int:
        flags = os.O_RDONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
        try:
            fd = os.open(self.path, flags, 0o600)
        except OSError as error:
            if os.path.islink(self.path):  # ELOOP
                raise OutputRefusedError(
                    f"{self.path}: the lock of {self.target} is a symbolic link: refused"
                ) from None
            raise _fault(error, self.path) from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
            os.close(fd)
            kind = "a regular file" if stat.S_ISREG(status.st_mode) else "not a regular file"
            raise OutputRefusedError(
                f"{self.path}: the lock of {self.target} is {kind} owned by uid {status.st_uid}, not one of this "
                f"user's (uid {os.geteuid()}): refused (another user's run, or a planted file)"
            )
        return fd

    def _take(self, fd: int, deadline: float) -> bool:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise FeedBusyError(
                        f"{self.target}: being written by another run or export (its lock {self.path.name} "
                        "is held); not mixing two outputs in one file"
                    ) from None
                time.sleep(0.05)

    def _still_there(self, fd: int) -> bool:
        """The lock file we hold is the one at the path (its last holder may have removed it)."""
        try:
            status = os.lstat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (status.st_dev, status.st_ino) == (held.st_dev, held.st_ino)

    def release(self) -> None:
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            if self._still_there(self.fd):
                os.unlink(self.path)  # while still held: a writer that opened it before sees it gone
        with contextlib.suppress(OSError):
            os.close(self.fd)  # releases the flock
        self.fd = None


# outputs neither committed nor aborted (held until then), cleaned up at interpreter exit
_OPEN: set[Output] = set()


@atexit.register
def _abort_unfinished() -> None:
    for output in list(_OPEN):
        output.abort()


class Output:
    """One output being written: a temporary file renamed over ``target``, or ``target`` in place.

    Use :meth:`open`; write into :meth:`handle`; then :meth:`commit` (or :meth:`abort`). As a
    context manager, an output not committed is aborted on the way out.
    """

    def __init__(
        self, target: Path, temp: Path | None, fd: int | None, lock: OutputLock | None, checked: os.stat_result | None
    ) -> None:
        self.target = target  #: the path written (a link of this user's resolved; in place: as given)
        self.temp = temp  #: the temporary file (None: written in place)
        self._fd = fd  # the temporary file, kept open from creation to rename
        self._lock = lock
        self._checked = checked  # what an in-place target was when checked
        self.in_place = temp is None
        self.append = False
        self.kept = 0  #: bytes of the target's content copied first (appending): not this writer's
        self.renamed = False
        self.done = False
        _OPEN.add(self)

    @classmethod
    def open(cls, target: Path | str, *, append: bool = False, wait: float = 0.0) -> Output:
        """Check ``target``, lock it and create its temporary file (or find it is written in place).

        Raises :class:`StorageError` (cannot be written), :class:`~dwnews.core.outcome.FeedBusyError`
        (another writer holds it) or :class:`OutputRefusedError` (a link or lock that is not ours).
        """
        given = Path(os.path.abspath(target))
        try:
            resolved = follow_own_links(given)
            try:
                status: os.stat_result | None = os.stat(given)
            except FileNotFoundError:
                status = None
            if status is not None and not stat.S_ISREG(status.st_mode):
                if stat.S_ISDIR(status.st_mode):
                    raise StorageError(given, "is a directory")
                if status.st_uid not in (os.geteuid(), 0):
                    raise OutputRefusedError(
                        f"{given}: not a regular file, and owned by uid {status.st_uid}, not by this user "
                        f"(uid {os.geteuid()}): not written (a FIFO planted there would hang the writer)"
                    )
                # a device, a FIFO, a terminal: written where it is, by the name given (the
                # resolved name of a pipe, /proc/<pid>/fd/pipe:[n], cannot be opened)
                output = cls(given, None, None, None, status)
                output.append = append
                return output
            # the checked path, its directories resolved (a link as the last name is refused
            # from here on: the target is opened with O_NOFOLLOW and replaced by rename)
            real = Path(os.path.realpath(resolved.parent)) / resolved.name
            if os.path.islink(real):
                raise OutputRefusedError(f"{given}: became a symbolic link while being checked: not followed")
            real.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _fault(error, given) from None
        lock = OutputLock(real, wait)
        try:
            fd, name = tempfile.mkstemp(prefix=f".{real.name[:_NAME_ROOM]}.", suffix=TEMP_SUFFIX, dir=real.parent)
        except OSError as error:
            lock.release()
            raise _fault(error, real.parent) from None
        output = cls(real, Path(name), fd, lock, None)
        try:
            output._prepare(append)
        except BaseException:
            output.abort()
            raise
        return output

    def _prepare(self, append: bool) -> None:
        """Give the temporary file the target's permission bits (never its owner: the writer's file
        replaces it), and its content when appending."""
        assert self._fd is not None
        try:
            try:
                current = os.open(self.target, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            except FileNotFoundError:
                os.fchmod(self._fd, 0o666 & ~umask())
                return
            with os.fdopen(current, "rb") as existing:
                status = os.fstat(existing.fileno())
                if not stat.S_ISREG(status.st_mode):
                    raise StorageError(self.target, "changed into something that is not a regular file: refused")
                mode = stat.S_IMODE(status.st_mode) & 0o777
                if status.st_uid != os.geteuid():
                    # another user's file (root replacing a user's 0600 feed, or a name someone made
                    # first so as to choose the mode): never more open than either mode
                    mode &= 0o666 & ~umask()
                os.fchmod(self._fd, mode)
                if append:
                    with os.fdopen(os.dup(self._fd), "wb") as temp:
                        shutil.copyfileobj(existing, temp)
                    self.kept = os.fstat(self._fd).st_size
        except OSError as error:
            raise _fault(error, self.target) from None

    # ----- writing ---------------------------------------------------------------------------------

    def handle(self) -> IO[bytes]:
        """A binary file to write into (closing it does not finish the output)."""
        try:
            if self._fd is not None:
                handle = os.fdopen(os.dup(self._fd), "wb")
                handle.seek(0, os.SEEK_END)
                return handle
            handle = os.fdopen(self._open_in_place(), "ab" if self.append else "wb")
            opened = os.fstat(handle.fileno())
            checked = self._checked
            if checked is not None and (opened.st_dev, opened.st_ino) != (checked.st_dev, checked.st_ino):
                handle.close()
                raise OutputRefusedError(f"{self.target}: replaced while it was being opened: refused")
            return handle
        except OSError as error:
            raise _fault(error, self.target) from None

    def _open_in_place(self) -> int:
        """The in-place target opened for writing; a FIFO without a reader is waited for, not hung on."""
        flags = os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC | (os.O_APPEND if self.append else os.O_TRUNC)
        deadline = time.monotonic() + FIFO_WAIT
        while True:
            try:
                fd = os.open(self.target, flags)
                break
            except OSError as error:
                if error.errno != errno.ENXIO:  # ENXIO: a FIFO that no process has open for reading
                    raise
                if time.monotonic() >= deadline:
                    raise OutputRefusedError(
                        f"{self.target}: a FIFO that no process read for {FIFO_WAIT:g} s: not written"
                    ) from None
                time.sleep(0.1)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        return fd

    def read_back(self) -> IO[bytes]:
        """What this writer wrote into the temporary file (after the content it kept, when appending),
        for reading a feed's short ids back."""
        assert self._fd is not None, "an output written in place cannot be read back"
        handle = os.fdopen(os.dup(self._fd), "rb")
        handle.seek(self.kept)
        return handle

    def rewrite(self, data: bytes) -> None:
        """Replace what this writer wrote (a feed that leaves some records out); kept content stays."""
        assert self._fd is not None
        try:
            os.ftruncate(self._fd, self.kept)
            os.lseek(self._fd, self.kept, os.SEEK_SET)
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as error:
            raise _fault(error, self.temp or self.target) from None

    def finish(self) -> FileIdentity:
        """Flush the temporary file to disk; its identity, which the rename keeps (record it first)."""
        assert self._fd is not None
        try:
            os.fsync(self._fd)
            return FileIdentity.of(os.fstat(self._fd))
        except OSError as error:
            raise _fault(error, self.temp or self.target) from None

    def commit(self) -> None:
        """Put the output in place: the temporary file renamed over the target, the folder synced."""
        if self.done:
            return
        if self._fd is None:
            self._close()
            return
        assert self.temp is not None
        try:
            self.finish()
            on_disk = os.lstat(self.temp)
            held = os.fstat(self._fd)
            if (on_disk.st_dev, on_disk.st_ino) != (held.st_dev, held.st_ino):
                raise StorageError(self.temp, "the temporary file was replaced by another process: not put in place")
            os.replace(self.temp, self.target)
            self.renamed = True
            _fsync_dir(self.target.parent)
        except OSError as error:
            if self.renamed:
                self._close()  # in place: nothing left to remove
            raise _fault(error, self.target if self.renamed else self.temp) from None
        self._close()

    def abort(self) -> None:
        """Drop an unfinished output: its temporary file removed (if it is still ours), lock released."""
        if self.done:
            return
        if self.temp is not None and self._fd is not None and not self.renamed:
            with contextlib.suppress(OSError):
                on_disk = os.lstat(self.temp)
                held = os.fstat(self._fd)
                if (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino):
                    os.unlink(self.temp)
        self._close()

    def _close(self) -> None:
        self.done = True
        _OPEN.discard(self)
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Output:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        if not self.done:
            self.abort()
