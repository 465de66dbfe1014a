"""How a run ends: the exit statuses users rely on, and the errors that lead to them.

Every command (``scrapy crawl``, ``scrapy site-check``, ``python3 -m dwnews.state``) exits with one of
:class:`ExitStatus` and says why in one ``dwnews:`` line. A crawl that stops on purpose records an
:class:`Outcome`; the crawl command maps it to the exit status here, in one place.
"""

from __future__ import annotations

from enum import IntEnum, StrEnum
from pathlib import Path


class ExitStatus(IntEnum):
    """The exit statuses of dwnews' commands (docs/scheduling.md, "Exit statuses")."""

    OK = 0
    SCRAPY = 1  # Scrapy could not start the crawl
    USAGE = 2  # a bad argument or setting, or another run writes the same output
    UNHEALTHY = 3  # the crawl ran but failed a health check (DWNEWS_HEALTH_EXIT_CODE may move it)
    STORAGE = 4  # a storage fault: state or output could not be written or read


class Outcome(StrEnum):
    """Why a crawl stopped before its end, as recorded in its stats (``dwnews/outcome``)."""

    REFUSED = "refused"  # must not run (another run writes its feed, Splash is down): exit 2
    STORAGE_FAULT = "storage_fault"  # exit 4
    UNREACHABLE = "site_unreachable"  # the site cannot be reached at all: unhealthy, exit 3

    @property
    def exit_status(self) -> ExitStatus:
        return {
            Outcome.REFUSED: ExitStatus.USAGE,
            Outcome.STORAGE_FAULT: ExitStatus.STORAGE,
            Outcome.UNREACHABLE: ExitStatus.UNHEALTHY,
        }[self]


class SettingError(ValueError):
    """A spider argument or ``DWNEWS_*`` setting that cannot be used: one line naming it."""


class StorageError(Exception):
    """The state or an output cannot be written or read: one line naming the path and the cause."""

    def __init__(self, path: Path | str, cause: str, advice: str = "") -> None:
        self.path = str(path)
        self.cause = cause
        self.advice = advice
        super().__init__(f"{self.path}: {cause}" + (f"; {advice}" if advice else ""))


class FeedBusyError(Exception):
    """Another live run is writing the same output path."""
