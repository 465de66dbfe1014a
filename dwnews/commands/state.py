"""``python3 -m dwnews.state``: the article ledger from the command line.

- ``export -O FILE [--since D] [--until D]``: the corpus (every exported article once, its latest
  revision, ordered by ``published``) as JSON Lines, JSON or CSV by the file's extension, written
  with the crawl's own exporters through the one output writer (:mod:`dwnews.store.outputs`): a
  temporary file of an unpredictable name renamed into place, a second export to the same file
  refused, the temporary file removed on SIGTERM, SIGINT or SIGHUP. A stored record that cannot be
  read back is left out, named, and makes the export exit 4 (the rest is written);
- ``stats``: articles by status; ``failures``: articles that failed, and those given up;
- ``forget SHORT_ID ... | --all``: the next incremental run downloads and exports them again;
- ``import FEED ...``: record the articles of feeds written earlier (JSON Lines or JSON) as
  exported, with their records: rebuilds a state that was lost or made by an older version. Each
  entry is checked; one that is not a record is named (file:line), left out and counted, the rest
  imported.

``--state-dir DIR`` (default ``.scrapy/dwnews``) for SQLite, or ``--redis-url URL`` for the
distributed ledger. Exit status: 0 done, 2 bad arguments, no state there, or the output is being
written by another run; 4 storage fault (or unreadable stored records); 128+N stopped by signal N.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from types import FrameType
from typing import IO, Any

from scrapy.exporters import BaseItemExporter, JsonItemExporter, JsonLinesItemExporter
from scrapy.utils.project import get_project_settings

from dwnews.core.outcome import ExitStatus, FeedBusyError, StorageError
from dwnews.crawl.exporters import SpreadsheetCsvItemExporter
from dwnews.store.feedfiles import FEED_FORMATS, entries_in_feed
from dwnews.store.ledger import Ledger, outside_record_problems
from dwnews.store.outputs import Output
from dwnews.store.sqlite import DB_NAME, SqliteLedger

__all__ = ["DB_NAME", "export", "main"]

_EXPORTERS: dict[str, Any] = {
    "jsonlines": JsonLinesItemExporter,
    "json": JsonItemExporter,
    "csv": SpreadsheetCsvItemExporter,
}


def feed_format(path: Path) -> str:
    """The feed format of a file name, like Scrapy's ``-O``: .jsonl/.jl, .json, .csv."""
    found = FEED_FORMATS.get(path.suffix.lower())
    if found is None:
        raise ValueError(f"{path}: unknown format; use a .jsonl, .json or .csv file name")
    return found


def _write(records: Iterable[dict[str, Any]], handle: IO[bytes], fmt: str, encoding: str | None = None) -> int:
    settings = get_project_settings()
    exporter: BaseItemExporter = _EXPORTERS[fmt](
        handle,
        encoding=encoding or settings.get("FEED_EXPORT_ENCODING") or "utf-8",
        indent=settings.getint("FEED_EXPORT_INDENT"),
    )
    exporter.start_exporting()
    count = 0
    for record in records:
        exporter.export_item(record)
        count += 1
    exporter.finish_exporting()
    return count


def export(records: Iterable[dict[str, Any]], target: Path, encoding: str | None = None) -> int:
    """Write records to ``target`` through the one output writer (:class:`~dwnews.store.outputs.Output`):
    a regular file as a temporary file renamed into place, anything else (a device, a pipe) in
    place. Returns how many. ``encoding``: default ``FEED_EXPORT_ENCODING``.

    Raises :class:`StorageError`, or :class:`FeedBusyError` when another run or export is writing
    ``target`` (or it is a link or lock that is not ours); the temporary file is removed on any error
    or exception (a signal turned into one by :func:`signals_interrupt`)."""
    fmt = feed_format(target)
    with Output.open(target) as output:
        with output.handle() as handle:
            count = _write(records, handle, fmt, encoding)
        output.commit()
    return count


class StopSignalError(Exception):
    """A signal asked the command to stop (its output, unfinished, is removed on the way out)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


@contextlib.contextmanager
def signals_interrupt() -> Iterator[None]:
    """SIGTERM, SIGINT and SIGHUP raise :class:`StopSignalError` (in the main thread), so that the
    export's ``with`` blocks remove its temporary file; the handlers are restored afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield  # handlers can only be set from the main thread (a test calling main() from another)
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise StopSignalError(signum)

    wanted = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
    previous = {signum: signal.signal(signum, interrupt) for signum in wanted}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


class BadRows:
    """The stored records an export could not read back: counted and named (the first few)."""

    SHOWN = 5

    def __init__(self) -> None:
        self.rows: list[tuple[str, str]] = []

    def __call__(self, short_id: str, problem: str) -> None:
        self.rows.append((short_id, problem))

    def line(self, target: Path) -> str:
        named = ", ".join(f"{short_id} ({problem})" for short_id, problem in self.rows[: self.SHOWN])
        more = f" and {len(self.rows) - self.SHOWN} more" if len(self.rows) > self.SHOWN else ""
        return (
            f"{len(self.rows)} stored records cannot be read back and were left out of {target}: {named}{more}; "
            "forget them (python3 -m dwnews.state forget SHORT_ID ...) and the next crawl fetches them again"
        )


def _day(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r}: expected a date YYYY-MM-DD") from None


def _encoding(value: str) -> str:
    try:
        return codecs.lookup(value).name
    except LookupError:
        raise argparse.ArgumentTypeError(f"{value!r}: not an encoding Python knows (e.g. utf-8, utf-8-sig)") from None


def _add_where(parser: argparse.ArgumentParser, after_command: bool = False) -> None:
    """The options naming the ledger. After the subcommand they have no default of their own, so
    that one given before it (``--state-dir DIR export ...``) is not overwritten."""
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=argparse.SUPPRESS if after_command else Path(".scrapy/dwnews"),
        help="the SQLite ledger's folder (DWNEWS_STATE_DIR; default: .scrapy/dwnews)",
    )
    parser.add_argument(
        "--redis-url",
        default=argparse.SUPPRESS if after_command else "",
        help="the distributed ledger (DWNEWS_REDIS_URL) instead",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=argparse.SUPPRESS if after_command else 60.0,
        metavar="SECONDS",
        help="how long to wait for a ledger another run is writing (default 60); then it says which run",
    )


_IMPORT_HELP = (
    "record the articles of earlier feeds (.jsonl, .json) as exported; each entry is checked, and one that "
    "is not a record is named (file:line), left out and counted while the rest is imported (exit status 0)"
)

_EPILOG = """examples:
  python3 -m dwnews.state export -O siasa.jsonl            the whole corpus, one JSON record a line
  python3 -m dwnews.state export -O 2024.csv --since 2024-01-01 --until 2024-12-31 --encoding utf-8-sig
  python3 -m dwnews.state stats                            articles by status
  python3 -m dwnews.state failures                         articles that failed, and those given up
  python3 -m dwnews.state forget 4WK2B                     the next crawl exports 4WK2B again
  python3 -m dwnews.state import feeds/*.jsonl             rebuild a lost state from earlier feeds
  python3 -m dwnews.state --redis-url redis://:PASSWORD@10.0.0.5:6379/0 export -O siasa.jsonl

exports go through a temporary file renamed into place; a second export to the same file refuses
(exit 2); a stored record that cannot be read back is named and left out, the rest written (exit 4);
import leaves out the entries that are not records, naming the first few (file:line), and exits 0

exit status: 0 done, 2 bad arguments, no state there, or the output is being written by another run,
4 storage fault (disk full, unreadable state, unreadable stored records), 128+N stopped by signal N
"""


def _open(args: argparse.Namespace, read_only: bool) -> Ledger:
    if args.redis_url:
        from dwnews.store.redis import RedisLedger  # (redis-py only for the distributed ledger)

        return RedisLedger(args.redis_url, "dwnews:cli")
    if read_only and not SqliteLedger.exists(args.state_dir):
        raise LookupError(f"no state in {args.state_dir} (no {DB_NAME}); give --state-dir DIR")
    return SqliteLedger(args.state_dir, run_id="cli", read_only=read_only, timeout=args.wait)


def _import(ledger: SqliteLedger, path: Path) -> None:
    """Import one feed file: its good entries recorded, the others named (the first few) and counted."""
    left_out: list[str] = []

    def good() -> Iterator[Any]:
        for entry in entries_in_feed(path):
            problems = [entry.problem] if entry.problem else outside_record_problems(entry.record)
            if problems:
                left_out.append(f"{entry.where}: {'; '.join(problems[:2])}")
            else:
                yield entry.record

    imported, refused = ledger.import_records(good(), str(path.absolute()))
    skipped = len(left_out) + refused
    print(
        f"imported {imported} articles from {path}"
        + (f"; left out {skipped} entries that are not records" if skipped else "")
    )
    for reason in left_out[: BadRows.SHOWN]:
        print(f"dwnews: left out {reason}", file=sys.stderr)
    if len(left_out) > BadRows.SHOWN:
        print(f"dwnews: ... and {len(left_out) - BadRows.SHOWN} more entries of {path} left out", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """``python -m dwnews.state``: the article ledger (export, stats, failures, forget, import)."""
    parser = argparse.ArgumentParser(
        prog="python3 -m dwnews.state",
        description="The article ledger of dwnews crawls: export the corpus, count, list failures, forget, import.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_where(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    # the same options after the subcommand (`export -O x.jsonl --state-dir DIR`)
    where = argparse.ArgumentParser(add_help=False)
    _add_where(where, after_command=True)
    out = sub.add_parser("export", parents=[where], help="write the corpus (every exported article once) to a file")
    out.add_argument("-O", "--output", type=Path, required=True, help="FILE.jsonl, FILE.json or FILE.csv")
    out.add_argument("--since", type=_day, help="published on or after YYYY-MM-DD")
    out.add_argument("--until", type=_day, help="published on or before YYYY-MM-DD")
    out.add_argument("--encoding", type=_encoding, help="default FEED_EXPORT_ENCODING (utf-8); utf-8-sig for Excel")
    sub.add_parser("stats", parents=[where], help="count articles by status")
    sub.add_parser("failures", parents=[where], help="articles that failed in earlier runs (and those given up)")
    forget = sub.add_parser("forget", parents=[where], help="forget articles by short id (or --all)")
    forget.add_argument("short_ids", nargs="*")
    forget.add_argument("--all", action="store_true", help="forget every article")
    imports = sub.add_parser("import", parents=[where], help=_IMPORT_HELP, description=_IMPORT_HELP)
    imports.add_argument("feeds", nargs="+", type=Path)
    args = parser.parse_args(argv)
    if args.command == "forget" and not (args.all or args.short_ids):
        parser.error("forget: give short ids or --all")
    if args.command == "export":
        try:
            feed_format(args.output)
        except ValueError as error:
            parser.error(str(error))
    try:
        ledger = _open(args, read_only=args.command in ("export", "stats", "failures"))
    except LookupError as error:
        print(f"dwnews: {error}", file=sys.stderr)
        return ExitStatus.USAGE
    except StorageError as fault:
        print(f"dwnews: storage fault: {fault}", file=sys.stderr)
        return ExitStatus.STORAGE
    try:
        with signals_interrupt():
            return _run(args, ledger)
    except StopSignalError as stop:
        untouched = f"; {args.output} was left as it was" if args.command == "export" else ""
        print(f"dwnews: stopped by {stop}{untouched}", file=sys.stderr)
        return 128 + stop.signum
    except FeedBusyError as busy:
        print(f"dwnews: {busy}", file=sys.stderr)
        return ExitStatus.USAGE
    except StorageError as fault:
        print(f"dwnews: storage fault: {fault}", file=sys.stderr)
        return ExitStatus.STORAGE
    except (OSError, ValueError) as error:
        print(f"dwnews: {error}", file=sys.stderr)
        return ExitStatus.STORAGE if isinstance(error, OSError) else ExitStatus.USAGE
    finally:
        ledger.close()


def _run(args: argparse.Namespace, ledger: Ledger) -> int:
    """One subcommand on an open ledger; its exit status."""
    if args.command == "export":
        bad = BadRows()
        count = export(ledger.records(args.since, args.until, bad=bad), args.output, args.encoding)
        print(f"exported {count} articles to {args.output}")
        missing = ledger.exported_without_record() if isinstance(ledger, SqliteLedger) else 0
        if missing:
            print(
                f"dwnews: {missing} articles were exported by an older version that kept no records; "
                "rebuild them from their feeds: python3 -m dwnews.state import FEED.jsonl ...",
                file=sys.stderr,
            )
        if bad.rows:
            print(f"dwnews: storage fault: {bad.line(args.output)}", file=sys.stderr)
            return ExitStatus.STORAGE
    elif args.command == "stats":
        print(json.dumps(ledger.counts(), sort_keys=True))
    elif args.command == "failures":
        for entry in ledger.failures():
            print(json.dumps(entry, ensure_ascii=False, sort_keys=True))
    elif args.command == "forget":
        if args.all:
            print(f"forgot {ledger.forget_all()} articles")
        else:
            print(f"forgot {ledger.forget(args.short_ids)} of {len(args.short_ids)} articles")
    elif args.command == "import":
        if not isinstance(ledger, SqliteLedger):
            print("dwnews: import rebuilds a SQLite state (--state-dir), not the Redis ledger", file=sys.stderr)
            return ExitStatus.USAGE
        for path in args.feeds:
            _import(ledger, path)
    return ExitStatus.OK


if __name__ == "__main__":
    raise SystemExit(main())
