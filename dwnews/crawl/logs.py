"""Log lines never carry a password: every record of the crawl is made with the passwords of the URLs
in it redacted (``redis://:***@host``), for as long as the crawl runs.

Scrapy logs the overridden settings (``-s DWNEWS_REDIS_URL=redis://:password@...``) and errors with
URLs in them, and cron mails the log. A log record factory sees every record, whichever logger and
handler writes it (Scrapy replaces its root handler as a crawl starts); it is installed by the
add-on before Scrapy logs the settings, and the previous factory is put back when the engine stops.
"""

from __future__ import annotations

import logging
from typing import Any

from dwnews.core.urls import redact


class RedactedLogs:
    """Installs the redacting record factory; :meth:`remove` puts the previous one back."""

    def __init__(self) -> None:
        self.previous: Any = None

    def install(self, level: int = logging.NOTSET) -> None:
        """From now on, every record at ``level`` or above (Scrapy's LOG_LEVEL: its handler drops the
        others unread) is made with passwords redacted."""
        if self.previous is not None:
            return
        previous = logging.getLogRecordFactory()
        self.previous = previous

        def redacting(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            if record.levelno < level:
                return record  # (formatting every DEBUG record, a scraped item's among them, costs time)
            try:
                message = record.getMessage()
            except (TypeError, ValueError):
                return record
            if "@" in message:
                redacted = redact(message)
                if redacted != message:
                    record.msg, record.args = redacted, None
            return record

        logging.setLogRecordFactory(redacting)

    def remove(self) -> None:
        if self.previous is not None:
            logging.setLogRecordFactory(self.previous)
            self.previous = None
