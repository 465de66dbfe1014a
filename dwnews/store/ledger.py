"""The article ledger: what every run knows about every article, and the corpus itself.

One interface (:class:`Ledger`), two backends: :class:`dwnews.store.sqlite.SqliteLedger` (one
machine, a file in ``DWNEWS_STATE_DIR``) and :class:`dwnews.store.redis.RedisLedger` (workers on
several machines). Both take and return plain values: short ids, paths, records as dicts.

The ledger keeps, per short id, whether the article was exported (with its **full record**, the
latest revision), downloaded and skipped (not politics, with the rule that judged it), or claimed
by a live run. Feeds are views of it: a crawl's feed holds what that run added, and
``python3 -m dwnews.state export`` writes the whole corpus (or a slice) again at any time, so
overwriting or deleting a feed loses nothing.

The order that makes "exactly once" hold across kills: a run stages each record in the ledger
when its item leaves the pipelines; the feed is written as a temporary file, fsynced and renamed
into place; only then are the feed's articles marked exported (their staged records become the
stored ones). A run killed before the rename leaves staged rows and a temporary file that the next
run discards; killed between rename and commit, the next run commits the finished feed, recognised
by the identity recorded just before the rename (device, inode, size, modification time) and only
for the articles that run staged: a file that is not that feed (another export put there since) is
left alone, and the dead run's articles are fetched again. A storage
fault (disk full, corrupt database, unusable state dir) raises
:class:`~dwnews.core.outcome.StorageError` with one line naming the path and the cause.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from dwnews.core.dates import instant
from dwnews.core.record import missing_fields, record_problems
from dwnews.core.site import PoliticsRule

logger = logging.getLogger(__name__)

#: the reason an earlier version stored for every "not politics" verdict: taken as the default rule's
_LEGACY_NOT_POLITICS = "not_politics"
_DEFAULT_RULE = PoliticsRule().key


class Answer(StrEnum):
    """What a claim answers, per short id."""

    NEW = "new"  # claimed now by this run: download it
    REVISED = "revised"  # exported, but its link's date says it changed: download it again
    EXPORTED = "exported"
    SKIPPED = "skipped"
    CLAIMED_ELSEWHERE = "claimed_elsewhere"


#: the answers that mean "download it"
TO_FETCH = frozenset({Answer.NEW, Answer.REVISED})

#: told of a stored record that cannot be read back: (short id, why); it is left out of the corpus
BadRow = Callable[[str, str], None]


@dataclass(frozen=True)
class Failure:
    """What the ledger knows of a failure: ``retried`` (an article: still retried; a page: it answered
    in an earlier run) and ``known_since`` (when it first failed the same way, if it did before)."""

    retried: bool
    known_since: str | None = None


@dataclass(frozen=True)
class Claim:
    """An article a run wants to download: its ids, the date its link gave (sitemap lastmod), and
    the politics rule the run judges by (a skip made under another rule does not hold)."""

    short_id: str
    content_id: int
    lastmod: str | None = None
    rule: str = ""


class Ledger(Protocol):
    """What the crawl asks of the article ledger; see the module docstring."""

    #: where it lives, for messages (a path or a crawl name; never a password)
    location: str

    def start_run(self) -> dict[str, int]:
        """Register this run; clean up after runs that died. Returns what was recovered."""

    def finish_run(self, status: str = "finished") -> None:
        """Release this run's unfinished claims and staged records; mark it ended."""

    def close(self) -> None: ...

    def claim_many(self, claims: Iterable[Claim]) -> dict[str, Answer]:
        """Per short id: NEW (claimed now), REVISED, EXPORTED, SKIPPED or CLAIMED_ELSEWHERE."""

    def mark_skipped(self, short_id: str, content_id: int | None, reason: str) -> None:
        """Downloaded, not kept (``reason``: the politics rule that judged it): later runs by the
        same rule skip it too."""

    def release(self, short_id: str) -> None:
        """This run gives its claim up (failed, dropped, out of range): a later run tries again."""

    def stage(self, record: dict[str, Any]) -> Answer | None:
        """The record of an article on its way into this run's feeds (not exported yet).

        Checked by the record's own short id (a link may have named another id, a resumed JOBDIR
        crawl's requests were never claimed): None when accepted, else why not (EXPORTED: another
        run exported it and this is no revision; CLAIMED_ELSEWHERE)."""

    def feed_opened(self, target: Path, part: Path | None, feed_format: str) -> None:
        """A feed file is being written (``part`` None: written in place, no rename)."""

    def feed_ready(self, target: Path, identity: str, short_ids: list[str]) -> None:
        """The feed is complete and about to be renamed into place: what the rename keeps of it
        (:meth:`dwnews.store.outputs.FileIdentity.text`) and the short ids it holds, so that a run
        killed before :meth:`feed_stored` is committed by the next one only from this very file."""

    def fence(self, target: Path, short_ids: list[str]) -> set[str]:
        """Before a finished feed is put in place: the short ids it may hold (all, but for an
        article another worker took over meanwhile)."""

    def unfence(self, target: Path, short_ids: set[str]) -> None:
        """The feed :meth:`fence` accepted could not be put in place after all."""

    def feed_stored(self, target: Path, short_ids: list[str]) -> int:
        """The feed is complete on disk: its articles are exported, with their staged records."""

    def feed_aborted(self, target: Path) -> None:
        """The feed was not completed (fault): nothing in it counts as exported."""

    def record_failure(self, short_id: str, path: str, reason: str) -> Failure:
        """An article failed for good in this run: still retried (False once it has failed too often),
        and since when it fails so (None: it did not fail so in the run before)."""

    def pages_answered(self, paths: Iterable[str]) -> None:
        """Listing pages, sitemaps and feeds that answered in this run (their failures are over)."""

    def page_failed(self, path: str, reason: str) -> Failure:
        """A listing page, sitemap or feed failed for good: whether it answered in an earlier run
        (``retried`` tells that here), and since when it fails so."""

    def failures_to_retry(self) -> list[tuple[str, str]]:
        """(short id, site path) of articles that failed in earlier runs and are still retried."""

    def failures(self) -> list[dict[str, Any]]:
        """Every recorded failure (``python3 -m dwnews.state failures``)."""

    def records(
        self, since: str | None = None, until: str | None = None, bad: BadRow | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every exported article's stored record (latest revision), ordered by ``published``.

        Each one is checked (:func:`dwnews.core.record.record_problems`): one that is not a record
        (damaged, edited, foreign) is left out and told to ``bad`` (by default: logged)."""

    def counts(self) -> dict[str, int]: ...

    def forget(self, short_ids: Iterable[str]) -> int: ...

    def forget_all(self) -> int: ...


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"


def stored_record(short_id: str, raw: Any) -> tuple[dict[str, Any] | None, str]:
    """A record as a ledger stored it (JSON text), checked: (the record, "") or (None, why not).

    A value read back from a database may have been damaged, edited or written by someone else:
    it is checked like any record from outside (:func:`~dwnews.core.record.record_problems`), and
    must be the record of the short id it is stored under."""
    if not isinstance(raw, (str, bytes)):
        return None, f"not JSON text but {type(raw).__name__}"
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON (or cut), or nested past the decoder
        return None, "not JSON"
    problems = outside_record_problems(record)
    if not problems and record.get("short_id") != short_id:
        problems = [f"the record of {str(record.get('short_id'))[:20]!r}, not of {short_id!r}"]
    if problems:
        return None, "; ".join(problems[:3])
    return record, ""


def outside_record_problems(record: Any) -> list[str]:
    """What keeps a record read from outside (an imported file, a stored row) out of the corpus:
    the record schema (:func:`~dwnews.core.record.record_problems`: types, http(s) URLs, ids) and
    the fields every exported record has (short id, title, published, body)."""
    problems = record_problems(record)
    if isinstance(record, dict):
        problems += [f"no {name}" for name in missing_fields(record)]
    return problems


def same_rule(reason: str | None, rule: str) -> bool:
    """Does a "not politics" verdict (stored as the rule that made it) hold for a run judging by ``rule``?
    A claim that names no rule (a spider that exports any article) takes every verdict as it is."""
    if not rule:
        return True
    return (_DEFAULT_RULE if reason == _LEGACY_NOT_POLITICS else reason) == rule


def revised_since(lastmod: str | None, modified: str | None, seen: str | None) -> bool:
    """Does a link's date (a sitemap's lastmod) come after the exported record's modification time
    and the link date it was last exported for? Then the article is a revision."""
    return bool(lastmod) and instant(lastmod) > max(instant(modified), instant(seen))


def log_bad_row(short_id: str, problem: str) -> None:
    """The default :data:`BadRow`: one warning line; the row is left out."""
    logger.warning("The stored record of %s cannot be read (%s): left out", short_id, problem)


def text_or_none(value: Any) -> str | None:
    """A value read back from storage, if it is text."""
    return value if isinstance(value, str) else None
