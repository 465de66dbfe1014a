"""The email alert of an unhealthy crawl (spidermon's SMTP action, sent with Python's smtplib).

Imported only when an email alert is configured (:func:`dwnews.crawl.monitors.configured_alerts`).
"""

from __future__ import annotations

import smtplib
import ssl
import warnings
from email.message import Message
from typing import Any

from scrapy.exceptions import ScrapyDeprecationWarning

with warnings.catch_warnings():
    # spidermon's SMTP action imports scrapy.mail, which Scrapy deprecates; EmailAlert sends with smtplib
    warnings.filterwarnings("ignore", "The scrapy.mail module is deprecated", ScrapyDeprecationWarning)
    from spidermon.contrib.actions.email.smtp import SendSmtpEmail


class EmailAlert(SendSmtpEmail):  # type: ignore[misc]
    """spidermon's SMTP email action, sent with Python's smtplib in a thread (spidermon's own uses
    scrapy.mail, which Scrapy deprecates, and does not say when the mail is out): the health
    verdict waits for it before the crawl ends. Subject and text name the cause and the log file."""

    subject = "dwnews {{ data.spider.name }} unhealthy: {{ data.meta.dwnews_problems[0] }}"
    body_text = (
        "dwnews: crawl unhealthy: {{ data.meta.dwnews_problems | join('; ') }}\n\n"
        "spider: {{ data.spider.name }}\n"
        "site: {{ data.meta.dwnews_site }}\n"
        "log file: {{ data.meta.dwnews_log_file }}\n"
        "finish reason: {{ data.stats.finish_reason }}\n"
    )
    body_html_template = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["subject"] = kwargs.get("subject") or self.subject
        kwargs["body_text"] = kwargs.get("body_text") or self.body_text
        super().__init__(*args, **kwargs)
        #: the messages to send (the health verdict sends them, off the reactor thread)
        self.outbox: list[Message] = []

    def send_message(self, message: Message, **kwargs: Any) -> None:
        self.outbox.append(message)

    def deliver(self) -> None:
        """Send what :meth:`send_message` queued (blocking: run it in a thread)."""
        for message in self.outbox:
            smtp_class = smtplib.SMTP_SSL if self.smtp_enforce_ssl else smtplib.SMTP
            with smtp_class(self.smtp_host, int(self.smtp_port), timeout=30) as server:
                if self.smtp_enforce_tls:
                    server.starttls(context=ssl.create_default_context())
                server.login(self.smtp_user, self.smtp_password)
                server.send_message(message, to_addrs=[*self.to, *(self.cc or []), *(self.bcc or [])])
        self.outbox.clear()
