"""The article ledger of one machine: a SQLite file in ``DWNEWS_STATE_DIR`` (see :mod:`dwnews.store.ledger`)."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import socket
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import urlsplit

from dwnews.core.dates import in_range
from dwnews.core.ids import content_id_to_short_id
from dwnews.core.outcome import FeedBusyError, StorageError
from dwnews.core.record import is_record, record_json
from dwnews.core.urls import article_id
from dwnews.store.ledger import (
    Answer,
    BadRow,
    Claim,
    Failure,
    log_bad_row,
    new_run_id,
    now_iso,
    revised_since,
    same_rule,
    stored_record,
    text_or_none,
)
from dwnews.store.outputs import FileIdentity

logger = logging.getLogger(__name__)

DB_NAME = "articles.sqlite3"


# ----- process liveness (claims of dead runs are released) -----------------------------------------


def process_start(pid: int) -> str | None:
    """The kernel's start time of a process (guards against a reused pid), where /proc exists."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def process_alive(pid: int, pid_start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid_start is None or process_start(pid) in (None, pid_start)


def lock_holders(database: Path) -> list[int]:
    """The processes holding a write lock on a SQLite database (its file, or its WAL index), from
    the kernel's lock table (Linux); empty where it cannot be read."""
    inodes = set()
    for name in (database, Path(f"{database}-shm"), Path(f"{database}-wal")):
        with contextlib.suppress(OSError):
            status = os.stat(name)
            inodes.add((os.major(status.st_dev), os.minor(status.st_dev), status.st_ino))
    pids: list[int] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if "->" in fields or len(fields) < 6 or fields[3] != "WRITE":
                continue  # a waiter, or a shared lock (every reader holds one)
            with contextlib.suppress(ValueError):
                major, minor, inode = fields[5].split(":")
                if (int(major, 16), int(minor, 16), int(inode)) in inodes and int(fields[4]) not in pids:
                    pids.append(int(fields[4]))
    return pids


def _remove(part: Path) -> bool:
    """Remove a dead run's temporary feed file if it is there (a link is removed, never followed)."""
    try:
        part.unlink()
    except FileNotFoundError:
        return False
    return True


# ----- SQLite ------------------------------------------------------------------------------------------

# SQLite's primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF)
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_IOERR = 3, 5, 6, 8, 10
_SQLITE_CORRUPT, _SQLITE_CANTOPEN, _SQLITE_AUTH, _SQLITE_NOTADB = 11, 14, 23, 26

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    short_id TEXT PRIMARY KEY,
    content_id INTEGER,
    status TEXT NOT NULL CHECK (status IN ('exported', 'skipped', 'claimed')),
    reason TEXT,
    run_id TEXT,
    feed TEXT,
    modified TEXT,
    lastmod_seen TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_run ON articles (run_id, status);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    spider TEXT,
    pid INTEGER,
    pid_start TEXT,
    host TEXT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feeds (
    path TEXT PRIMARY KEY,
    run_id TEXT,
    part_path TEXT,
    format TEXT,
    status TEXT NOT NULL,
    opened_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE TABLE IF NOT EXISTS staged (
    run_id TEXT NOT NULL,
    short_id TEXT NOT NULL,
    record TEXT NOT NULL,
    PRIMARY KEY (run_id, short_id)
);
CREATE TABLE IF NOT EXISTS failures (
    short_id TEXT PRIMARY KEY,
    path TEXT NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL,
    given_up INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS pages (
    path TEXT PRIMARY KEY,
    answered_at TEXT,
    failed_reason TEXT,
    failed_since TEXT
);
"""
# columns later versions added to ``feeds``: a finished feed's identity (what its rename keeps) and
# short ids, recorded just before the rename (see recover())
_ADDED_FEED_COLUMNS = {"identity": "TEXT", "short_ids": "TEXT"}
# ... and to ``failures``: since when an article fails the way it last failed
_ADDED_FAILURE_COLUMNS = {"since": "TEXT"}
# columns later versions added to ``articles`` (a state file of an earlier version gets them)
_ADDED_COLUMNS = {
    "modified": "TEXT",
    "lastmod_seen": "TEXT",
    "published": "TEXT",
    "record": "TEXT",
    "revision_run": "TEXT",  # the run that claimed a revision of this exported article
    "revision_lastmod": "TEXT",  # the link date of that revision (lastmod_seen once it is exported)
}

_P = ParamSpec("_P")
_T = TypeVar("_T")


def guarded(method: Callable[Concatenate[SqliteLedger, _P], _T]) -> Callable[Concatenate[SqliteLedger, _P], _T]:
    """SQLite and OS errors of a ledger call become one :class:`StorageError` naming the file."""

    @wraps(method)
    def call(self: SqliteLedger, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        try:
            return method(self, *args, **kwargs)
        except (sqlite3.Error, OSError) as error:
            raise self.fault(error) from error

    return call


class SqliteLedger:
    """The ledger of one state dir, as used by one run (``run_id``), in ``articles.sqlite3``.

    Several runs on one machine may share the file at once: a claim is a write transaction, and
    claims of runs whose process is gone are released. Across machines, use the Redis ledger.

    A run waits up to ``timeout`` seconds (60) for another one's write transaction to end; past
    that, the fault says which process holds the database ("in use by another run (pid N)").
    Readers never wait (the database is in WAL mode). Faults say what SQLite and the system say:
    busy, permission denied, read-only file system, disk full; "corrupt" only when SQLite's
    integrity check says so, and only a ledger opened for writing advises moving the file aside.
    """

    def __init__(
        self,
        state_dir: Path,
        run_id: str | None = None,
        spider: str = "",
        revisions: bool = False,
        max_failures: int = 5,
        read_only: bool = False,
        timeout: float = 60.0,
    ) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / DB_NAME
        self.location = str(self.path)
        self.run_id = run_id or new_run_id()
        self.spider = spider
        self.revisions = revisions
        self.max_failures = max_failures
        self.read_only = read_only
        self.timeout = timeout
        self._synchronous = "NORMAL"  # as _connect() leaves the connection
        try:
            self.db = self._connect(read_only)
        except (sqlite3.Error, OSError) as error:
            raise self.fault(error) from error

    @staticmethod
    def exists(state_dir: Path) -> bool:
        """Is there a ledger in ``state_dir``? Raises :class:`StorageError` when that cannot be told."""
        path = Path(state_dir) / DB_NAME
        try:
            os.stat(path)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as error:
            cause = (error.strerror or str(error)).lower()
            raise StorageError(path, f"cannot read: {cause} (uid {os.geteuid()})") from None
        return True

    def _connect(self, read_only: bool) -> sqlite3.Connection:
        if read_only:
            try:
                os.stat(self.path)
            except (FileNotFoundError, NotADirectoryError):
                raise StorageError(self.path, "no state here") from None
            db = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.timeout, check_same_thread=False)
            try:
                self._check(db)
            except sqlite3.Error as error:
                if not self._on_read_only_medium(error):
                    raise
                # A backup on a read-only file system: nothing can write it, so it is read as it is
                # (SQLite cannot create the -shm file it reads a WAL database with there).
                db = sqlite3.connect(f"file:{self.path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
                self._check(db)
            return db
        if self.state_dir.exists() and not self.state_dir.is_dir():
            raise StorageError(self.state_dir, "DWNEWS_STATE_DIR is not a directory")
        if self.path.is_symlink() and not self.path.exists():
            # SQLite would create the database wherever the link points
            raise StorageError(self.path, "a symbolic link to nothing: the state database is not created through it")
        self.state_dir.mkdir(parents=True, exist_ok=True)
        existed = self.path.exists()
        # autocommit mode; every write below is one explicit transaction
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
        if existed:
            self._check(db)  # before any write: a corrupt database is never modified
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # FULL for the transactions that must survive a power loss
            db.executescript(_SCHEMA)
            for table, added in (
                ("articles", _ADDED_COLUMNS),
                ("feeds", _ADDED_FEED_COLUMNS),
                ("failures", _ADDED_FAILURE_COLUMNS),
            ):
                columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
                for column, kind in added.items():
                    if column not in columns:
                        with contextlib.suppress(sqlite3.OperationalError):  # another run added it meanwhile
                            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
            db.execute("CREATE INDEX IF NOT EXISTS articles_published ON articles (status, published)")
        except BaseException:
            db.close()
            raise
        return db

    def _on_read_only_medium(self, error: sqlite3.Error) -> bool:
        """Could not read because the state dir is on a read-only file system, and no write-ahead log
        is pending there (the database file alone holds everything)?"""
        code = getattr(error, "sqlite_errorcode", 0) & 0xFF
        if code not in (_SQLITE_READONLY, _SQLITE_CANTOPEN):
            return False
        try:
            read_only_fs = bool(os.statvfs(self.state_dir).f_flag & os.ST_RDONLY)
            wal = Path(f"{self.path}-wal")
            return read_only_fs and (not wal.exists() or wal.stat().st_size == 0)
        except OSError:
            return False

    def _check(self, db: sqlite3.Connection) -> None:
        """SQLite's integrity check, before anything is written; its verdict is the only "corrupt"."""
        try:
            verdict = db.execute("PRAGMA quick_check").fetchone()
        except sqlite3.Error:
            db.close()
            raise  # busy, unreadable, not a database: fault() tells which
        if verdict is None or verdict[0] != "ok":
            db.close()
            raise self._corrupt(f"integrity check: {verdict[0] if verdict else 'no answer'}")

    def _corrupt(self, cause: str) -> StorageError:
        if self.read_only:
            # a command that only reads never advises moving a database: it may be healthy for others
            return StorageError(self.path, f"the state database is corrupt ({cause}); it was not modified")
        return StorageError(
            self.path,
            f"the state database is corrupt ({cause}); it was not modified",
            f"move it aside (mv {self.path} {self.path}.corrupt) and rebuild the state from the feeds: "
            f"python3 -m dwnews.state --state-dir {self.state_dir} import FEED.jsonl ...",
        )

    def fault(self, error: BaseException) -> StorageError:
        """The one-line fault for an error of this ledger's file: what it is, never a guess."""
        if isinstance(error, StorageError):
            return error
        text = str(error) or type(error).__name__
        verb = "read" if self.read_only else "write"
        if isinstance(error, sqlite3.Error):
            code = getattr(error, "sqlite_errorcode", None)
            primary = code & 0xFF if isinstance(code, int) else None
            if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
                verdict = self._integrity()
                if verdict is not None:
                    return self._corrupt(f"{text}; integrity check: {verdict}")
                return StorageError(self.path, f"SQLite said {text!r}, though its integrity check finds no fault")
            if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
                return self._in_use()
            if primary in (_SQLITE_READONLY, _SQLITE_CANTOPEN, _SQLITE_PERM, _SQLITE_AUTH, _SQLITE_IOERR):
                return self._access_fault(verb) or StorageError(self.path, f"cannot {verb}: {text}")
            return StorageError(self.path, text)
        if isinstance(error, OSError):
            where = error.filename or self.path
            if error.errno in (errno.EACCES, errno.EPERM):
                return StorageError(where, f"cannot {verb}: permission denied (uid {os.geteuid()})")
            if error.errno == errno.EROFS:
                return StorageError(where, f"cannot {verb}: read-only file system")
            return StorageError(where, error.strerror or text)
        return StorageError(self.path, text)

    def _integrity(self) -> str | None:
        """What SQLite's integrity check finds wrong with the file (None: nothing, or it could not run)."""
        try:
            probe = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=self.timeout)
        except sqlite3.Error:
            return None
        try:
            verdict = probe.execute("PRAGMA quick_check").fetchone()
        except sqlite3.DatabaseError as error:
            code = getattr(error, "sqlite_errorcode", 0) & 0xFF
            return str(error) if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB) else None
        finally:
            probe.close()
        return None if verdict is not None and verdict[0] == "ok" else str(verdict[0] if verdict else "no answer")

    def _in_use(self) -> StorageError:
        """Another process kept the database locked past the timeout: which one, if it can be told."""
        holders = [pid for pid in lock_holders(self.path) if pid != os.getpid()]
        runs: dict[int, str] = {}
        db: sqlite3.Connection | None = getattr(self, "db", None)  # None: the fault came while connecting
        if db is not None:
            with contextlib.suppress(sqlite3.Error):  # a reader never waits in WAL mode, but may fail
                for run_id, pid, start in db.execute(
                    "SELECT run_id, pid, pid_start FROM runs WHERE status = 'running' AND host = ? AND run_id != ?",
                    (socket.gethostname(), self.run_id),
                ).fetchall():
                    if process_alive(int(pid), start):
                        runs[int(pid)] = str(run_id)
        if holders:
            who = " and ".join(
                f"another run (pid {pid}, run {runs[pid]})" if pid in runs else f"another process (pid {pid})"
                for pid in holders
            )
        elif runs:
            who = "another run (" + ", ".join(f"pid {pid}" for pid in runs) + ")"
        else:
            who = "another process"
        return StorageError(
            self.path, f"in use by {who}: still locked after waiting {self.timeout:g} s; try again when it is done"
        )

    def _access_fault(self, verb: str) -> StorageError | None:
        """Why the state dir or database cannot be written (or read), or None if the system says nothing."""
        if not self.state_dir.is_dir():
            return None
        with contextlib.suppress(OSError):
            if os.statvfs(self.state_dir).f_flag & os.ST_RDONLY:
                if self.read_only:
                    return StorageError(
                        self.state_dir,
                        f"cannot read {DB_NAME}: a read-only file system, where SQLite cannot create the "
                        f"{DB_NAME}-shm file it reads a WAL database with",
                    )
                return StorageError(self.state_dir, "cannot write: read-only file system")
        me = os.geteuid()
        if not os.access(self.state_dir, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids):
            if self.read_only:
                return StorageError(
                    self.state_dir,
                    f"cannot read {DB_NAME}: permission denied (uid {me}) to create the {DB_NAME}-shm file SQLite "
                    "reads a WAL database with; run as the state's owner",
                )
            return StorageError(self.state_dir, f"cannot write: permission denied (uid {me})")
        for name in (DB_NAME, f"{DB_NAME}-wal", f"{DB_NAME}-shm"):
            path = self.state_dir / name
            mode = os.R_OK if self.read_only and name == DB_NAME else os.R_OK | os.W_OK
            if path.exists() and not os.access(path, mode, effective_ids=os.access in os.supports_effective_ids):
                return StorageError(path, f"cannot {verb}: permission denied (uid {me})")
        return None

    @contextlib.contextmanager
    def transaction(self, durable: bool = False) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the database lock at once (other runs wait for it).

        ``durable``: synced to disk when it commits (``synchronous=FULL``), with every transaction
        before it (the write-ahead log is one file, synced to its end). The others (claims, staged
        records, skips, failures) may be lost with a power loss, which costs a download again, never
        an article: a feed's articles count as exported only by the durable transactions that record
        the feed (feed_ready, feed_stored), and those sync the staged records written before them.
        """
        synchronous = "FULL" if durable else "NORMAL"
        if self._synchronous != synchronous:
            self.db.execute(f"PRAGMA synchronous={synchronous}")
            self._synchronous = synchronous
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ----- runs ------------------------------------------------------------------------------------

    @guarded
    def start_run(self) -> dict[str, int]:
        recovered = self.recover()
        recovered["failures_imported"] = self._import_failures_file()
        pid = os.getpid()
        with self.transaction(durable=True) as db:
            db.execute(
                "INSERT INTO runs (run_id, spider, pid, pid_start, host, started_at, status)"
                " VALUES (?, ?, ?, ?, ?, ?, 'running')",
                (self.run_id, self.spider, pid, process_start(pid), socket.gethostname(), now_iso()),
            )
        return recovered

    @guarded
    def finish_run(self, status: str = "finished") -> None:
        if status == "faulted":
            # Stopped on a fault: a feed may be in place but not recorded. Claims, staged records
            # and feed rows stay for the next run's recovery, which commits what is in place.
            with self.transaction(durable=True) as db:
                db.execute(
                    "UPDATE runs SET status = 'faulted', finished_at = ? WHERE run_id = ?", (now_iso(), self.run_id)
                )
            return
        with self.transaction(durable=True) as db:
            db.execute("DELETE FROM articles WHERE status = 'claimed' AND run_id = ?", (self.run_id,))
            db.execute("DELETE FROM staged WHERE run_id = ?", (self.run_id,))
            db.execute("UPDATE runs SET status = ?, finished_at = ? WHERE run_id = ?", (status, now_iso(), self.run_id))

    def _dead_runs(self, db: sqlite3.Connection) -> list[str]:
        host = socket.gethostname()
        rows = db.execute(
            "SELECT run_id, pid, pid_start, host, status FROM runs WHERE status IN ('running', 'faulted')"
            " AND run_id != ?",
            (self.run_id,),
        ).fetchall()
        return [
            str(r)
            for r, pid, start, h, status in rows
            if status == "faulted" or (h == host and not process_alive(int(pid), start))
        ]

    def _run_alive(self, db: sqlite3.Connection, run_id: str) -> bool:
        row = db.execute("SELECT pid, pid_start, host, status FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None or row[3] != "running":
            return False
        return row[2] != socket.gethostname() or process_alive(int(row[0]), row[1])

    @guarded
    def recover(self) -> dict[str, int]:
        """Release claims of dead runs; finish or discard the feed files they were writing.

        A dead run's feed is committed only when the file at its path is the one that run finished
        (the identity recorded just before its rename: device, inode, size, modification time), and
        only for the articles that run staged. Anything else there (another state dir's export put
        at the path since, an edited file) is left alone, counted (``feeds_not_ours``) and logged;
        the dead run's articles are released, so the next run fetches and exports them again.
        """
        kinds = ("dead_runs", "claims_released", "feeds_committed", "parts_removed", "feeds_not_ours")
        counts = dict.fromkeys(kinds, 0)
        with self.transaction(durable=True) as db:
            for run_id in self._dead_runs(db):
                counts["dead_runs"] += 1
                feeds = db.execute(
                    "SELECT path, part_path, identity, short_ids FROM feeds WHERE run_id = ? AND status = 'writing'",
                    (run_id,),
                ).fetchall()
                for path, part_path, identity, short_ids in feeds:
                    status = self._recover_feed(db, run_id, Path(path), part_path, identity, short_ids, counts)
                    db.execute(
                        "UPDATE feeds SET status = ?, closed_at = ?, short_ids = NULL WHERE path = ? AND run_id = ?",
                        (status, now_iso(), path, run_id),
                    )
                counts["claims_released"] += db.execute(
                    "DELETE FROM articles WHERE status = 'claimed' AND run_id = ?", (run_id,)
                ).rowcount
                db.execute("DELETE FROM staged WHERE run_id = ?", (run_id,))
                db.execute("UPDATE runs SET status = 'killed', finished_at = ? WHERE run_id = ?", (now_iso(), run_id))
            # a feed left 'writing' by a run that ended without closing it (a crawl stopped by a second
            # Ctrl-C): its temporary file, if any is left, is removed; nothing in it was exported
            ended = db.execute(
                "SELECT feeds.path, feeds.run_id, feeds.part_path FROM feeds JOIN runs ON runs.run_id = feeds.run_id"
                " WHERE feeds.status = 'writing' AND runs.status NOT IN ('running', 'faulted')"
            ).fetchall()
            for path, run_id, part_path in ended:
                if part_path and _remove(Path(part_path)):
                    counts["parts_removed"] += 1
                db.execute(
                    "UPDATE feeds SET status = 'aborted', closed_at = ? WHERE path = ? AND run_id = ?",
                    (now_iso(), path, run_id),
                )
        if any(counts.values()):
            logger.warning("Recovered state after a run that died: %s", counts)
        return counts

    def _recover_feed(
        self,
        db: sqlite3.Connection,
        run_id: str,
        path: Path,
        part_path: str | None,
        identity: str | None,
        short_ids: str | None,
        counts: dict[str, int],
    ) -> str:
        """Commit or discard one feed a dead run was writing; its new status."""
        if not part_path:
            return "aborted"  # written in place (a device, a pipe): what reached it cannot be known
        if _remove(Path(part_path)):
            # The run died before its feed was complete (or before the rename): nothing was exported.
            counts["parts_removed"] += 1
            return "aborted"
        finished = FileIdentity.parse(identity)
        if finished is None:
            if os.path.lexists(path):
                logger.warning(
                    "Feed %s: the run that died (%s) never finished it; the file there is not its feed: "
                    "left alone, and that run's articles will be fetched again",
                    path,
                    run_id,
                )
            return "aborted"
        if FileIdentity.at(path) != finished:
            counts["feeds_not_ours"] += 1
            staged = db.execute("SELECT COUNT(*) FROM staged WHERE run_id = ?", (run_id,)).fetchone()[0]
            logger.warning(
                "Feed %s: not the file the run that died (%s) put there (replaced, changed or removed since): "
                "left alone, nothing in it recorded; that run's %d articles will be fetched again",
                path,
                run_id,
                staged,
            )
            return "not_ours"
        try:
            ids = [str(short_id) for short_id in json.loads(short_ids or "[]")]
        except (ValueError, TypeError):
            ids = []
        # Renamed into place but not committed: the feed is complete, and it is this run's.
        committed = self._commit(db, ids, str(path), run_id, staged_only=True)
        if committed < len(ids):
            logger.warning("Feed %s: %d short ids that run never staged were not recorded", path, len(ids) - committed)
        counts["feeds_committed"] += 1
        return "done"

    # ----- articles ----------------------------------------------------------------------------------

    @guarded
    def claim_many(self, claims: Iterable[Claim]) -> dict[str, Answer]:
        """One transaction for all: a listing page's links at once."""
        answers: dict[str, Answer] = {}
        with self.transaction() as db:
            dead: list[str] | None = None
            for claim in claims:
                short_id, lastmod = claim.short_id, claim.lastmod
                row = db.execute(
                    "SELECT status, run_id, modified, lastmod_seen, revision_run, reason FROM articles"
                    " WHERE short_id = ?",
                    (short_id,),
                ).fetchone()
                if row is not None:
                    status, owner, modified, seen, revision_run, reason = row
                    newer = revised_since(lastmod, modified, seen)
                    if status == Answer.EXPORTED and self.revisions and newer:
                        if revision_run and revision_run != self.run_id and self._run_alive(db, revision_run):
                            answers[short_id] = Answer.CLAIMED_ELSEWHERE  # a live run is fetching this revision
                            continue
                        # A revision: download it again. The row stays 'exported' (a failed download
                        # loses nothing); the lastmod is kept as seen only when the revision is
                        # exported, so a failed or killed download is tried again by the next run.
                        db.execute(
                            "UPDATE articles SET revision_run = ?, revision_lastmod = ? WHERE short_id = ?",
                            (self.run_id, lastmod, short_id),
                        )
                        answers[short_id] = Answer.REVISED
                        continue
                    if status == Answer.EXPORTED or (status == Answer.SKIPPED and same_rule(reason, claim.rule)):
                        answers[short_id] = Answer(status)
                        continue
                    if status == "claimed" and owner != self.run_id:
                        dead = self._dead_runs(db) if dead is None else dead
                        if owner not in dead:
                            answers[short_id] = Answer.CLAIMED_ELSEWHERE
                            continue
                db.execute(
                    "INSERT INTO articles (short_id, content_id, status, run_id, lastmod_seen, updated_at)"
                    " VALUES (?, ?, 'claimed', ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'claimed',"
                    " run_id = excluded.run_id, lastmod_seen = COALESCE(excluded.lastmod_seen, articles.lastmod_seen),"
                    " updated_at = excluded.updated_at",
                    (short_id, claim.content_id, self.run_id, lastmod, now_iso()),
                )
                answers[short_id] = Answer.NEW
        return answers

    @guarded
    def mark_skipped(self, short_id: str, content_id: int | None, reason: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO articles (short_id, content_id, status, reason, run_id, updated_at)"
                " VALUES (?, ?, 'skipped', ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'skipped',"
                " reason = excluded.reason, run_id = excluded.run_id, updated_at = excluded.updated_at"
                " WHERE articles.status != 'exported'",
                (short_id, content_id, reason, self.run_id, now_iso()),
            )
            db.execute("DELETE FROM failures WHERE short_id = ?", (short_id,))

    @guarded
    def release(self, short_id: str) -> None:
        """A staged article is on its way into a feed: a later drop (a second record of it, under
        another URL) does not give up its claim or its record."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM articles WHERE short_id = ? AND status = 'claimed' AND run_id = ?"
                " AND NOT EXISTS (SELECT 1 FROM staged WHERE staged.run_id = ? AND staged.short_id = ?)",
                (short_id, self.run_id, self.run_id, short_id),
            )

    @guarded
    def stage(self, record: dict[str, Any]) -> Answer | None:
        short_id = str(record["short_id"])
        with self.transaction() as db:
            row = db.execute(
                "SELECT status, run_id, revision_run FROM articles WHERE short_id = ?", (short_id,)
            ).fetchone()
            if row is not None:
                status, owner, revision_run = row
                if status == Answer.EXPORTED and revision_run != self.run_id:
                    return Answer.EXPORTED
                if status == "claimed" and owner != self.run_id and owner not in self._dead_runs(db):
                    return Answer.CLAIMED_ELSEWHERE
            if row is None or row[0] != Answer.EXPORTED:
                db.execute(
                    "INSERT INTO articles (short_id, content_id, status, run_id, updated_at)"
                    " VALUES (?, ?, 'claimed', ?, ?) ON CONFLICT (short_id) DO UPDATE SET status = 'claimed',"
                    " run_id = excluded.run_id, reason = NULL, updated_at = excluded.updated_at",
                    (short_id, record.get("content_id"), self.run_id, now_iso()),
                )
            db.execute(
                "INSERT OR REPLACE INTO staged (run_id, short_id, record) VALUES (?, ?, ?)",
                (self.run_id, short_id, record_json(record)),
            )
        return None

    def _commit(
        self, db: sqlite3.Connection, short_ids: Iterable[str], feed: str, run_id: str, staged_only: bool = False
    ) -> int:
        """Record articles as exported by ``feed``, with the records ``run_id`` staged for them
        (``staged_only``: an article that run did not stage is not recorded)."""
        count = 0
        now = now_iso()
        for short_id in short_ids:
            row = db.execute(
                "SELECT record FROM staged WHERE run_id = ? AND short_id = ?", (run_id, short_id)
            ).fetchone()
            if row is None and staged_only:
                continue
            record = json.loads(row[0]) if row else {}
            db.execute(
                "INSERT INTO articles (short_id, content_id, status, run_id, feed, modified, published, record,"
                " updated_at) VALUES (?, ?, 'exported', ?, ?, ?, ?, ?, ?) ON CONFLICT (short_id) DO UPDATE SET"
                " status = 'exported', reason = NULL, run_id = excluded.run_id, feed = excluded.feed,"
                " modified = COALESCE(excluded.modified, articles.modified),"
                " published = COALESCE(excluded.published, articles.published),"
                " record = COALESCE(excluded.record, articles.record), revision_run = NULL,"
                " lastmod_seen = COALESCE(articles.revision_lastmod, articles.lastmod_seen), revision_lastmod = NULL,"
                " updated_at = excluded.updated_at",
                (
                    short_id,
                    record.get("content_id"),
                    run_id,
                    feed,
                    record.get("modified") or record.get("published"),
                    record.get("published"),
                    row[0] if row else None,
                    now,
                ),
            )
            db.execute("DELETE FROM failures WHERE short_id = ?", (short_id,))
            count += 1
        return count

    # ----- feeds -----------------------------------------------------------------------------------

    @guarded
    def feed_opened(self, target: Path, part: Path | None, feed_format: str) -> None:
        with self.transaction() as db:
            row = db.execute("SELECT run_id, status FROM feeds WHERE path = ?", (str(target),)).fetchone()
            if row and row[1] == "writing" and row[0] != self.run_id and self._run_alive(db, str(row[0])):
                raise FeedBusyError(f"{target} is being written by another live run ({row[0]})")
            db.execute(
                "INSERT INTO feeds (path, run_id, part_path, format, status, opened_at)"
                " VALUES (?, ?, ?, ?, 'writing', ?)"
                " ON CONFLICT (path) DO UPDATE SET run_id = excluded.run_id, part_path = excluded.part_path,"
                " format = excluded.format, status = 'writing', opened_at = excluded.opened_at, closed_at = NULL,"
                " identity = NULL, short_ids = NULL",
                (str(target), self.run_id, str(part) if part else None, feed_format, now_iso()),
            )

    @guarded
    def feed_ready(self, target: Path, identity: str, short_ids: list[str]) -> None:
        with self.transaction(durable=True) as db:
            db.execute(
                "UPDATE feeds SET identity = ?, short_ids = ? WHERE path = ? AND run_id = ?",
                (identity, json.dumps(short_ids), str(target), self.run_id),
            )

    def fence(self, target: Path, short_ids: list[str]) -> set[str]:
        return set(short_ids)  # one machine: a live run's claims are never taken over

    def unfence(self, target: Path, short_ids: set[str]) -> None:
        pass  # nothing was recorded at fence(): feed_stored() records, after the rename

    @guarded
    def feed_stored(self, target: Path, short_ids: list[str]) -> int:
        with self.transaction(durable=True) as db:
            count = self._commit(db, short_ids, str(target), self.run_id)
            db.execute(
                "UPDATE feeds SET status = 'done', closed_at = ?, short_ids = NULL WHERE path = ?",
                (now_iso(), str(target)),
            )
        return count

    @guarded
    def feed_aborted(self, target: Path) -> None:
        with self.transaction(durable=True) as db:
            db.execute(
                "UPDATE feeds SET status = 'aborted', closed_at = ? WHERE path = ? AND run_id = ?",
                (now_iso(), str(target), self.run_id),
            )

    # ----- failures --------------------------------------------------------------------------------

    def _import_failures_file(self) -> int:
        """Take over the ``failures.jsonl`` an earlier version kept beside the database (absolute
        URLs): each article's path becomes a failure entry; the file is renamed ``.imported``."""
        count = 0
        for name in ("failures.retrying.jsonl", "failures.jsonl"):
            old = self.state_dir / name
            if not old.is_file():
                continue
            for line in old.read_text("utf-8", errors="replace").splitlines():
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue  # a line cut by a crash
                if not isinstance(entry, dict) or entry.get("page") != "article":
                    continue
                path = urlsplit(str(entry.get("url") or "")).path
                content_id = article_id(path)
                if content_id is not None:
                    self.record_failure(content_id_to_short_id(content_id), path, str(entry.get("reason") or ""))
                    count += 1
            os.replace(old, old.with_name(name + ".imported"))
        return count

    @guarded
    def record_failure(self, short_id: str, path: str, reason: str) -> Failure:
        now = now_iso()
        with self.transaction() as db:
            before = db.execute(
                "SELECT reason, since, updated_at FROM failures WHERE short_id = ?", (short_id,)
            ).fetchone()
            known = before is not None and before[0] == reason
            since = (before[1] or before[2]) if known else now  # (a row of an earlier version has no since)
            db.execute(
                "INSERT INTO failures (short_id, path, reason, attempts, updated_at, since) VALUES (?, ?, ?, 1, ?, ?)"
                " ON CONFLICT (short_id) DO UPDATE SET path = excluded.path, reason = excluded.reason,"
                " attempts = failures.attempts + 1, updated_at = excluded.updated_at, since = excluded.since",
                (short_id, path, reason, now, since),
            )
            db.execute(
                "UPDATE failures SET given_up = 1 WHERE short_id = ? AND attempts >= ?", (short_id, self.max_failures)
            )
            given_up = db.execute("SELECT given_up FROM failures WHERE short_id = ?", (short_id,)).fetchone()
        return Failure(retried=not (given_up and given_up[0]), known_since=since if known else None)

    @guarded
    def pages_answered(self, paths: Iterable[str]) -> None:
        now = now_iso()
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO pages (path, answered_at) VALUES (?, ?) ON CONFLICT (path) DO UPDATE SET"
                " answered_at = excluded.answered_at, failed_reason = NULL, failed_since = NULL",
                [(path, now) for path in paths],
            )

    @guarded
    def page_failed(self, path: str, reason: str) -> Failure:
        now = now_iso()
        with self.transaction() as db:
            before = db.execute(
                "SELECT answered_at, failed_reason, failed_since FROM pages WHERE path = ?", (path,)
            ).fetchone()
            answered, known = bool(before and before[0]), bool(before and before[1] == reason)
            since = str(before[2]) if known and before and before[2] else now
            db.execute(
                "INSERT INTO pages (path, failed_reason, failed_since) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE"
                " SET failed_reason = excluded.failed_reason, failed_since = excluded.failed_since",
                (path, reason, since),
            )
        return Failure(retried=answered, known_since=since if known else None)

    @guarded
    def failures_to_retry(self) -> list[tuple[str, str]]:
        rows = self.db.execute("SELECT short_id, path FROM failures WHERE given_up = 0 ORDER BY updated_at")
        return [(str(s), str(p)) for s, p in rows.fetchall()]

    @guarded
    def failures(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT short_id, path, reason, attempts, given_up FROM failures ORDER BY short_id")
        keys = ("short_id", "path", "reason", "attempts", "given_up")
        return [dict(zip(keys, row, strict=True)) for row in rows.fetchall()]

    # ----- the corpus ------------------------------------------------------------------------------

    def records(
        self, since: str | None = None, until: str | None = None, bad: BadRow | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every exported record, checked one by one: a row that is no record costs only itself."""
        try:
            cursor = self.db.execute(
                "SELECT short_id, record FROM articles WHERE status = 'exported' AND record IS NOT NULL"
                " ORDER BY published IS NULL, published, short_id"
            )
            for short_id, raw in cursor:
                record, problem = stored_record(str(short_id), raw)
                if record is None:
                    (bad or log_bad_row)(str(short_id), problem)
                elif in_range(text_or_none(record.get("published")), since, until):
                    yield record
        except sqlite3.Error as error:
            raise self.fault(error) from error

    @guarded
    def exported_without_record(self) -> int:
        """Articles exported by a version that kept no records (rebuild them with ``import``)."""
        row = self.db.execute("SELECT COUNT(*) FROM articles WHERE status = 'exported' AND record IS NULL").fetchone()
        return int(row[0])

    @guarded
    def import_records(self, records: Iterable[Any], source: str) -> tuple[int, int]:
        """Record articles of a feed written earlier as exported, with their records.

        A file is not trusted: what is not a dwnews record (see :func:`is_record`) is left out.
        Returns (imported, left out).
        """
        count = left_out = 0
        with self.transaction(durable=True) as db:
            for record in records:
                if not is_record(record):
                    left_out += 1
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO staged (run_id, short_id, record) VALUES (?, ?, ?)",
                    (self.run_id, str(record["short_id"]), record_json(record)),
                )
                count += self._commit(db, [str(record["short_id"])], source, self.run_id)
            db.execute("DELETE FROM staged WHERE run_id = ?", (self.run_id,))
        return count, left_out

    @guarded
    def forget(self, short_ids: Iterable[str]) -> int:
        with self.transaction(durable=True) as db:
            return sum(db.execute("DELETE FROM articles WHERE short_id = ?", (s,)).rowcount for s in short_ids)

    @guarded
    def forget_all(self) -> int:
        with self.transaction(durable=True) as db:
            return db.execute("DELETE FROM articles").rowcount

    @guarded
    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT status, COUNT(*) FROM articles GROUP BY status").fetchall()
        return {str(status): int(count) for status, count in rows}

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
