"""Feed files read back: the short ids a finished feed holds, the entries of an earlier feed.

A feed file is outside input (it may have been edited, cut by a crash, or be someone else's):
an entry that cannot be read is named by file and line, for the caller to skip and count; a file
that is no feed at all raises ValueError naming it.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

#: feed formats the ledger can read back and export (Scrapy's names and the file extensions)
JSONLINES = ("jsonlines", "jsonl", "jl")
FEED_FORMATS = {".jsonl": "jsonlines", ".jl": "jsonlines", ".json": "json", ".csv": "csv"}


def short_ids_in_feed(path: Path, feed_format: str) -> list[str]:
    """The short ids a finished feed file holds (JSON Lines, JSON or CSV), in file order."""
    with path.open("rb") as handle:
        return short_ids_in_file(handle, feed_format)


def short_ids_in_file(handle: IO[bytes], feed_format: str) -> list[str]:
    """The short ids of a feed read from an open binary file (from its current position)."""
    if feed_format in JSONLINES:
        # line by line: a long crawl's feed is never held in memory whole
        lines = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="replace", newline=None)
        try:
            return [str(json.loads(line)["short_id"]) for line in lines if '"short_id"' in line]
        finally:
            lines.detach()  # the caller closes its own file
    data = handle.read().decode("utf-8-sig", errors="replace")
    rows: Iterable[Any]
    if feed_format == "json":
        rows = json.loads(data) if data.strip() else []
    elif feed_format == "csv":
        rows = csv.DictReader(io.StringIO(data, newline=""))
    else:
        raise ValueError(f"cannot read short ids from a {feed_format!r} feed")
    return [str(row["short_id"]) for row in rows if isinstance(row, dict) and row.get("short_id")]


@dataclass(frozen=True)
class FeedEntry:
    """One entry of a feed file being imported: where it is (``file:line``), and what it holds."""

    where: str
    record: Any  # the parsed JSON value (None when the line is no JSON)
    problem: str = ""  # why the entry could not even be parsed ("" when it could)


def entries_in_feed(path: Path) -> Iterator[FeedEntry]:
    """The entries of a JSON Lines or JSON feed file (for ``import``), one by one, each named
    ``file:line`` (JSON Lines) or ``file: record N`` (JSON): a line that is no JSON is an entry
    with its problem, for the caller to count and skip. A file that is no feed at all (a JSON
    value that is not an array, a CSV file) raises ValueError naming it."""
    feed_format = FEED_FORMATS.get(path.suffix.lower())
    if feed_format == "jsonlines":
        with path.open("rb") as handle:
            for number, raw in enumerate(handle, 1):
                where = f"{path}:{number}"
                try:
                    line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    yield FeedEntry(where, None, "not UTF-8 text")
                    continue
                if not line.strip():
                    continue
                try:
                    yield FeedEntry(where, json.loads(line))
                except (ValueError, RecursionError):
                    yield FeedEntry(where, None, "not a JSON line")
    elif feed_format == "json":
        try:
            data = json.loads(path.read_bytes().decode("utf-8-sig") or "[]")
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise ValueError(f"{path}: not a JSON array of records (not JSON at all)") from None
        if not isinstance(data, list):
            raise ValueError(f"{path}: not a JSON array of records")
        for number, value in enumerate(data, 1):
            yield FeedEntry(f"{path}: record {number}", value)
    else:
        raise ValueError(f"{path}: only JSON Lines (.jsonl) and JSON (.json) feeds hold whole records")
