"""Feed files read back: the short ids a finished feed holds, the records of an earlier feed.

A feed file is outside input (it may have been edited, cut by a crash, or be someone else's):
what cannot be read raises ValueError naming the file and line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

#: feed formats the ledger can read back and export (Scrapy's names and the file extensions)
JSONLINES = ("jsonlines", "jsonl", "jl")
FEED_FORMATS = {".jsonl": "jsonlines", ".jl": "jsonlines", ".json": "json", ".csv": "csv"}


def short_ids_in_feed(path: Path, feed_format: str) -> list[str]:
    """The short ids a finished feed file holds (JSON Lines, JSON or CSV), in file order."""
    if feed_format in JSONLINES:
        # line by line: a long crawl's feed is never held in memory whole
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            return [str(json.loads(line)["short_id"]) for line in handle if '"short_id"' in line]
    data = path.read_bytes().decode("utf-8-sig", errors="replace")
    rows: Iterable[Any]
    if feed_format == "json":
        rows = json.loads(data) if data.strip() else []
    elif feed_format == "csv":
        rows = csv.DictReader(io.StringIO(data, newline=""))
    else:
        raise ValueError(f"cannot read short ids from a {feed_format!r} feed")
    return [str(row["short_id"]) for row in rows if isinstance(row, dict) and row.get("short_id")]


def records_in_feed(path: Path) -> Iterator[dict[str, Any]]:
    """The records of a JSON Lines or JSON feed file (for ``import``); CSV flattens them, so no."""
    feed_format = FEED_FORMATS.get(path.suffix.lower())
    if feed_format == "jsonlines":
        with path.open(encoding="utf-8-sig") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError:
                        raise ValueError(f"{path}:{number}: not a JSON line") from None
    elif feed_format == "json":
        data = json.loads(path.read_text("utf-8-sig") or "[]")
        if not isinstance(data, list):
            raise ValueError(f"{path}: not a JSON array of records")
        yield from data
    else:
        raise ValueError(f"{path}: only JSON Lines (.jsonl) and JSON (.json) feeds hold whole records")
