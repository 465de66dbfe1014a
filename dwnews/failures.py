"""The failures file: pages that failed for good, kept in DWNEWS_STATE_DIR for the next run.

``failures.jsonl`` gets one JSON line per failure: ``{"url", "reason", "page", "time"}``. A run of
the politics spider takes the file over when it starts (renamed to ``failures.retrying.jsonl``)
and requests its articles again; the renamed file is removed when that run ends cleanly, so a run
killed mid-way leaves it for the next one. Listing, sitemap and feed pages are read again by every
run anyway; only article pages need the file to be tried again.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

FAILURES = "failures.jsonl"
RETRYING = "failures.retrying.jsonl"


class FailureLog:
    """Appends failures; hands the previous runs' failures over for retrying."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = Path(state_dir)
        self.path = self.state_dir / FAILURES
        self.retrying = self.state_dir / RETRYING

    def record(self, url: str, reason: str, page: str) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        line = json.dumps(
            {"url": url, "reason": reason, "page": page, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")},
            ensure_ascii=False,
        )
        # One write of a whole line in append mode: concurrent runs never interleave within a line.
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)

    def take_over(self) -> list[dict[str, Any]]:
        """The failures to retry (each URL once): earlier ones, and those of a run that was killed."""
        if self.path.exists():
            with self.retrying.open("ab") as handle:
                handle.write(self.path.read_bytes())
            self.path.unlink()
        if not self.retrying.exists():
            return []
        entries: dict[str, dict[str, Any]] = {}
        for line in self.retrying.read_text("utf-8", errors="replace").splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line cut by a crash
            if isinstance(entry, dict) and entry.get("url"):
                entries[str(entry["url"])] = entry
        return list(entries.values())

    def retried(self) -> None:
        """This run ended cleanly: what it took over was retried (new failures are in the file)."""
        self.retrying.unlink(missing_ok=True)
