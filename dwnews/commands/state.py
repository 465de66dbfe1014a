"""``python3 -m dwnews.state``: the article ledger from the command line.

- ``export -O FILE [--since D] [--until D]``: the corpus (every exported article once, its latest
  revision, ordered by ``published``) as JSON Lines, JSON or CSV by the file's extension, written
  with the crawl's own exporters, as ``FILE.part`` renamed into place;
- ``stats``: articles by status; ``failures``: articles that failed, and those given up;
- ``forget SHORT_ID ... | --all``: the next incremental run downloads and exports them again;
- ``import FEED ...``: record the articles of feeds written earlier (JSON Lines or JSON) as
  exported, with their records: rebuilds a state that was lost or made by an older version.

``--state-dir DIR`` (default ``.scrapy/dwnews``) for SQLite, or ``--redis-url URL`` for the
distributed ledger. Exit status: 0 done, 2 bad arguments or no state there, 4 storage fault.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import json
import os
import stat
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import IO, Any

from scrapy.exporters import BaseItemExporter, JsonItemExporter, JsonLinesItemExporter
from scrapy.utils.project import get_project_settings

from dwnews.core.outcome import ExitStatus, StorageError
from dwnews.crawl.exporters import SpreadsheetCsvItemExporter
from dwnews.store.feedfiles import FEED_FORMATS, records_in_feed
from dwnews.store.ledger import Ledger
from dwnews.store.redis import RedisLedger
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
    """Write records to ``target``: a regular file as ``.part`` renamed into place, anything else
    (a device, a pipe) in place. Returns how many. ``encoding``: default ``FEED_EXPORT_ENCODING``."""
    fmt = feed_format(target)
    real = Path(os.path.realpath(target))
    if real.exists() and not stat.S_ISREG(real.stat().st_mode):
        with real.open("wb") as handle:
            return _write(records, handle, fmt, encoding)
    real.parent.mkdir(parents=True, exist_ok=True)
    part = real.with_name(real.name + ".export.part")
    try:
        with part.open("wb") as handle:
            count = _write(records, handle, fmt, encoding)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, real)
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return count


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


_EPILOG = """examples:
  python3 -m dwnews.state export -O siasa.jsonl            the whole corpus, one JSON record a line
  python3 -m dwnews.state export -O 2024.csv --since 2024-01-01 --until 2024-12-31 --encoding utf-8-sig
  python3 -m dwnews.state stats                            articles by status
  python3 -m dwnews.state failures                         articles that failed, and those given up
  python3 -m dwnews.state forget 4WK2B                     the next crawl exports 4WK2B again
  python3 -m dwnews.state import feeds/*.jsonl             rebuild a lost state from earlier feeds
  python3 -m dwnews.state --redis-url redis://:PASSWORD@10.0.0.5:6379/0 export -O siasa.jsonl

exit status: 0 done, 2 bad arguments or no state there, 4 storage fault (disk full, unreadable state)
"""


def _open(args: argparse.Namespace, read_only: bool) -> Ledger:
    if args.redis_url:
        return RedisLedger(args.redis_url, "dwnews:cli")
    if not (args.state_dir / DB_NAME).is_file() and read_only:
        raise LookupError(f"no state in {args.state_dir} (no {DB_NAME}); give --state-dir DIR")
    return SqliteLedger(args.state_dir, run_id="cli", read_only=read_only)


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
    imports = sub.add_parser(
        "import", parents=[where], help="record the articles of earlier feeds (.jsonl, .json) as exported"
    )
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
        if args.command == "export":
            count = export(ledger.records(args.since, args.until), args.output, args.encoding)
            print(f"exported {count} articles to {args.output}")
            missing = ledger.exported_without_record() if isinstance(ledger, SqliteLedger) else 0
            if missing:
                print(
                    f"dwnews: {missing} articles were exported by an older version that kept no records; "
                    "rebuild them from their feeds: python3 -m dwnews.state import FEED.jsonl ...",
                    file=sys.stderr,
                )
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
                imported, left_out = ledger.import_records(records_in_feed(path), str(path.absolute()))
                print(
                    f"imported {imported} articles from {path}"
                    + (f"; left out {left_out} entries that are not records" if left_out else "")
                )
    except StorageError as fault:
        print(f"dwnews: storage fault: {fault}", file=sys.stderr)
        return ExitStatus.STORAGE
    except (OSError, ValueError) as error:
        print(f"dwnews: {error}", file=sys.stderr)
        return ExitStatus.STORAGE if isinstance(error, OSError) else ExitStatus.USAGE
    finally:
        ledger.close()
    return ExitStatus.OK


if __name__ == "__main__":
    raise SystemExit(main())
