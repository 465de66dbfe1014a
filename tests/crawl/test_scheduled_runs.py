"""Scheduled runs people can trust: a verdict about the site, not about our retries, and an alert that
carries the reason. Real `scrapy crawl` runs in a row against the mirror, a real SMTP server on
loopback (aiosmtpd)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, Session

from dwnews.commands.state import main as state_main
from dwnews.core.ids import content_id_to_short_id
from dwnews.mirror import Fault, MirrorServer
from tests.helpers import FAST, MISSING, POLITICS, SITE, free_port, run_crawl

pytestmark = pytest.mark.e2e  # real `scrapy crawl` subprocesses, services, signals

BROKEN = {68700001, 77400001}  # politics articles that answer 500 for good (on DW's side)
HOME = "sw/s-11588"
ALL_ARTICLES = [int(p.stem.split("-")[1]) for p in (SITE / "sw").glob("a-*.html")]
# the mirror's feed and sitemaps link the articles too: the home page's loss must be seen all the same
QUICK = (*FAST, "-s", "DWNEWS_RETRY_BACKOFF=0.05", "-s", "RETRY_TIMES=1")


def verdict(log: str) -> str:
    return next((line for line in log.splitlines() if "dwnews: crawl unhealthy" in line), "")


def test_quiet_runs_stay_quiet_an_outage_is_said_and_the_next_good_run_exports_what_was_missed(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    with MirrorServer(SITE) as mirror:
        for content_id in BROKEN:
            mirror.faults[f"sw/a-{content_id}"] = Fault("status", status=500)
        first = run_crawl(mirror.base_url, "politics", tmp_path / "1", *QUICK, state_dir=state)
        assert first.returncode == 0, verdict(first.log) or first.log[-2000:]
        assert {item["content_id"] for item in first.items} == POLITICS - BROKEN

        # nothing new: only the three pages broken for good (and the 404) are asked for again, and fail
        # as before: 3 of 9 pages failed, which said "33% > 25%" and exit 3 run after run
        quiet = run_crawl(mirror.base_url, "politics", tmp_path / "2", *QUICK, state_dir=state)
        assert quiet.returncode == 0, verdict(quiet.log)
        assert quiet.stat("dwnews/failures/known_again") == 3 and quiet.items == []
        assert "known failures: 3 pages failed again as in earlier runs, since " in quiet.log
        quiet_again = run_crawl(mirror.base_url, "politics", tmp_path / "3", *QUICK, state_dir=state)
        assert quiet_again.returncode == 0, verdict(quiet_again.log)

        # new articles (three forgotten) during an outage of article pages: said, exit 3
        missed = sorted(POLITICS - BROKEN)[:3]
        assert state_main(["--state-dir", str(state), "forget", *map(content_id_to_short_id, missed)]) == 0
        for content_id in ALL_ARTICLES:
            mirror.faults[f"sw/a-{content_id}"] = Fault("status", status=503)
        outage = run_crawl(mirror.base_url, "politics", tmp_path / "4", *QUICK, state_dir=state)
        assert outage.returncode == 3 and "pages failed" in verdict(outage.log), verdict(outage.log)

        # the site is back (but for the article broken for good): what was missed is exported
        for content_id in ALL_ARTICLES:
            del mirror.faults[f"sw/a-{content_id}"]
        for content_id in BROKEN:
            mirror.faults[f"sw/a-{content_id}"] = Fault("status", status=500)
        back = run_crawl(mirror.base_url, "politics", tmp_path / "5", *QUICK, state_dir=state)
    assert back.returncode == 0, verdict(back.log)
    assert sorted(item["content_id"] for item in back.items) == missed
    assert MISSING not in {item["content_id"] for item in back.items}


@pytest.mark.parametrize(
    "fault", [Fault("status", status=503), Fault("hang", seconds=4)], ids=["503-for-good", "timeout"]
)
def test_losing_the_home_page_is_unhealthy_though_other_sources_bring_articles(tmp_path: Path, fault: Fault) -> None:
    with MirrorServer(SITE) as mirror:
        mirror.faults[HOME] = fault
        result = run_crawl(mirror.base_url, "politics", tmp_path / "1", *QUICK, "-s", "DOWNLOAD_TIMEOUT=1")
        assert result.items, "the feed and the news sitemap still brought articles"
        assert result.returncode == 3
        line = verdict(result.log)
        assert "the sections source was lost" in line and "s-11588" in line, line
        if fault.kind != "status":
            return
        # still lost the next run: said again (it was a known failure, and the run said nothing)
        again = run_crawl(mirror.base_url, "politics", tmp_path / "2", *QUICK, state_dir=tmp_path / "1" / "state")
    assert again.returncode == 3, again.log[-2000:]
    line = verdict(again.log)
    assert "the sections source was lost" in line and "failing so since 20" in line, line


# ----- alerts through spidermon's actions ----------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.received = threading.Event()

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd's name)
        self.messages.append(message_from_bytes(envelope.original_content or b""))
        self.received.set()
        return "250 OK"


def _login(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    return AuthResult(success=getattr(auth_data, "password", b"") == b"s3cret")


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    """A real SMTP server on loopback that offers AUTH without TLS (spidermon's action logs in)."""
    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, authenticator=_login, auth_require_tls=False)
    controller.start()
    try:
        yield port, mailbox
    finally:
        controller.stop()


def email_settings(port: int) -> tuple[str, ...]:
    values = {
        "SPIDERMON_EMAIL_TO": "newsroom@example.org",
        "SPIDERMON_EMAIL_SENDER": "dwnews@example.org",
        "SPIDERMON_SMTP_HOST": "127.0.0.1",
        "SPIDERMON_SMTP_PORT": str(port),
        "SPIDERMON_SMTP_USER": "dwnews",
        "SPIDERMON_SMTP_PASSWORD": "s3cret",
    }
    return tuple(arg for name, value in values.items() for arg in ("-s", f"{name}={value}"))


def test_an_unhealthy_run_sends_one_email_naming_the_cause_and_the_log(
    smtp: tuple[int, Mailbox], tmp_path: Path
) -> None:
    port, mailbox = smtp
    log_file = tmp_path / "crawl.log"
    with MirrorServer(SITE) as mirror:
        mirror.faults[HOME] = Fault("status", status=503)
        result = run_crawl(
            mirror.base_url, "politics", tmp_path / "run", *QUICK, *email_settings(port), "-s", f"LOG_FILE={log_file}"
        )
    assert result.returncode == 3
    (mail,) = mailbox.messages
    assert "unhealthy" in mail["Subject"] and "sections source was lost" in mail["Subject"]
    text = next(
        part.get_payload(decode=True).decode() for part in mail.walk() if part.get_content_type() == "text/plain"
    )
    assert "dwnews: crawl unhealthy: the sections source was lost" in text
    assert f"log file: {log_file}" in text
    assert "s3cret" not in log_file.read_text("utf-8"), "the SMTP password is never logged"


def test_a_healthy_run_sends_none_and_without_settings_there_is_neither_mail_nor_error(
    smtp: tuple[int, Mailbox], tmp_path: Path
) -> None:
    port, mailbox = smtp
    with MirrorServer(SITE) as mirror:
        healthy = run_crawl(mirror.base_url, "politics", tmp_path / "a", *QUICK, *email_settings(port))
        mirror.faults[HOME] = Fault("status", status=503)
        unconfigured = run_crawl(mirror.base_url, "politics", tmp_path / "b", *QUICK)
    assert healthy.returncode == 0 and mailbox.messages == []
    assert unconfigured.returncode == 3 and mailbox.messages == []
    assert "spidermon" not in unconfigured.log.lower() or "NotConfigured" not in unconfigured.log
    assert "Traceback" not in unconfigured.log
