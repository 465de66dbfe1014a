"""The health checks of a crawl, as spidermon monitors, and the alerts they send.

A crawl is judged by :class:`HealthSuite`, a spidermon ``MonitorSuite`` that the health verdict
(:mod:`dwnews.crawl.health`) runs once the feeds are stored. Its monitors judge the site, not our
retries: a page that failed in an earlier run and fails again the same way is reported, not counted
against the run; shares count what this run newly learned, and only from a minimum count on. A lost
discovery source (the home page, or a sitemap or feed that answered before) is unhealthy even when
other sources still bring articles. spidermon's own ``FinishReasonMonitor`` judges how the crawl
ended (its time limit, ``CLOSESPIDER_TIMEOUT``, is not a planned end), and its
``FieldCoverageMonitor`` the exported records' fields when ``SPIDERMON_FIELD_COVERAGE_RULES`` is set;
its ``ItemValidationMonitor`` (as :class:`RecordsMonitor`) the records that broke the record schema.

When a monitor fails, the suite's actions alert, configured by spidermon's own settings only: email
(``SPIDERMON_EMAIL_TO``, ``SPIDERMON_EMAIL_SENDER``, ``SPIDERMON_SMTP_HOST``/``_PORT``/``_USER``/
``_PASSWORD``), Slack (``SPIDERMON_SLACK_SENDER_TOKEN``, ``SPIDERMON_SLACK_RECIPIENTS``), Telegram
(``SPIDERMON_TELEGRAM_SENDER_TOKEN``, ``SPIDERMON_TELEGRAM_RECIPIENTS``), Discord
(``SPIDERMON_DISCORD_WEBHOOK_URL``). An action whose settings are missing is not added: no alert, no
error. The email names the cause (the ``dwnews:`` line) and the log file.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from spidermon import Monitor, MonitorSuite, monitors
from spidermon.contrib.scrapy.monitors.base import BaseStatMonitor
from spidermon.contrib.scrapy.monitors.monitors import (
    FieldCoverageMonitor,
    FinishReasonMonitor,
    ItemValidationMonitor,
)

from dwnews.core import stats
from dwnews.core.config import Config
from dwnews.core.record import CORE_FIELDS as RECORD_CORE_FIELDS
from dwnews.core.stats import count, total

logger = logging.getLogger(__name__)

# the fields whose absence on a page means DW's markup changed: the record's core fields, with the
# content id the page gives in place of the short id derived from it
CORE_FIELDS = tuple("content_id" if name == "short_id" else name for name in RECORD_CORE_FIELDS)
#: finish reasons of a crawl that ended as planned (a user's item or page limit); a time limit is not
PLANNED_ENDS = ("finished", "closespider_itemcount", "closespider_pagecount")
#: the problems found, kept on the data spidermon passes to the actions (the alert's text)
PROBLEMS = "dwnews_problems"


class Thresholds:
    """Limits a crawl must stay within (settings ``DWNEWS_HEALTH_*``)."""

    def __init__(
        self,
        max_failed_share: float = 0.25,
        max_missing_share: float = 0.2,
        min_articles: int = 5,
        min_pages: int = 5,
    ) -> None:
        self.max_failed_share = max_failed_share
        self.max_missing_share = max_missing_share
        self.min_articles = min_articles
        self.min_pages = min_pages

    @classmethod
    def from_config(cls, config: Config) -> Thresholds:
        return cls(
            max_failed_share=config["DWNEWS_HEALTH_MAX_FAILED_SHARE"],
            max_missing_share=config["DWNEWS_HEALTH_MAX_MISSING_SHARE"],
            min_articles=config["DWNEWS_HEALTH_MIN_ARTICLES"],
            min_pages=config["DWNEWS_HEALTH_MIN_PAGES"],
        )


# ----- the checks: pure functions of a crawl's stats (problems found; none: the check holds) ----------


def discovery_problems(crawl: Mapping[str, Any], limits: Thresholds, spider: str = "politics") -> list[str]:
    """Did the discovery sources answer and link articles?"""
    if spider != "politics":
        return []
    problems: list[str] = []
    listings = count(crawl, stats.LISTING_PAGES.key)
    other_sources = total(crawl, "dwnews/source/", "/read") - count(crawl, stats.SOURCE_READ(source="sections"))
    sources_read = listings + other_sources
    section_links = count(crawl, stats.LISTING_ARTICLE_LINKS.key)
    other_links = total(crawl, "dwnews/source/", "/found") - count(crawl, stats.SOURCE_FOUND(source="sections"))
    links = section_links + other_links
    known = total(crawl, stats.INCREMENTAL_SKIPPED.prefix)
    parsed = count(crawl, stats.ARTICLE_PARSED.key)
    # (a resumed JOBDIR crawl reads articles from its queue without reading any listing again)
    # (a distributed worker that joined a crawl whose discovery another worker did reads no listing)
    joined = bool(crawl.get(stats.REDIS_WORKER.key)) and sources_read == 0
    not_found = crawl.get(stats.LISTING_NOT_FOUND.key)
    nothing = links == 0 and known == 0 and parsed == 0 and not joined
    lost = sorted(key.split("/")[2] for key in crawl if key.startswith("dwnews/source/") and key.endswith("/lost"))
    for source in lost:
        problems.append(
            f"the {source} source was lost: {crawl.get(stats.SOURCE_LOST(source=source))}; "
            "the articles only it links are not found"
        )
    if nothing and not_found:
        problems.append(f"listing page {not_found} was not found: check the section (-a section=) or DWNEWS_HOME_PATH")
    elif nothing and not lost:
        where = f"{sources_read} listing/sitemap/feed pages" if sources_read else "any listing page"
        problems.append(f"no article links found on {where} (the site should have some: has DW's markup changed?)")
    elif listings and section_links == 0:
        problems.append(
            f"no article links found on {listings} listing pages, though other sources had some "
            "(has DW's listing markup changed?)"
        )
    return problems


def failure_problems(crawl: Mapping[str, Any], limits: Thresholds) -> list[str]:
    """Did more than the allowed share of the pages this run newly tried fail for good? Pages that
    failed the same way in an earlier run count neither way; fewer than ``min_pages`` tell nothing."""
    parsed = count(crawl, stats.ARTICLE_PARSED.key)
    listings = count(crawl, stats.LISTING_PAGES.key)
    other_sources = total(crawl, "dwnews/source/", "/read") - count(crawl, stats.SOURCE_READ(source="sections"))
    failed = total(crawl, "dwnews/failed/") - total(crawl, stats.FAILED_SOURCE.prefix)
    known_again = count(crawl, stats.FAILURES_KNOWN_AGAIN.key)
    new_failed = max(0, failed - known_again)
    attempted = parsed + listings + other_sources + new_failed + count(crawl, stats.ARTICLE_SKIPPED(reason="not_html"))
    if attempted < max(1, limits.min_pages) or new_failed / attempted <= limits.max_failed_share:
        return []
    return [
        f"{new_failed} of {attempted} pages failed ({new_failed / attempted:.0%} > {limits.max_failed_share:.0%})"
        + (f", besides {known_again} that failed so in earlier runs" if known_again else "")
    ]


def markup_problems(crawl: Mapping[str, Any], limits: Thresholds, spider: str = "politics") -> list[str]:
    """Do the pages still give their core fields, and does the politics filter still keep some?"""
    problems: list[str] = []
    parsed = count(crawl, stats.ARTICLE_PARSED.key)
    if not parsed or parsed < limits.min_articles:
        return problems
    for name in CORE_FIELDS:
        missing = count(crawl, stats.ARTICLE_MISSING(field=name))
        if missing / parsed > limits.max_missing_share:
            problems.append(
                f"{missing} of {parsed} articles have no {name} "
                f"({missing / parsed:.0%} > {limits.max_missing_share:.0%}: has DW's markup changed?)"
            )
    kept = count(crawl, stats.POLITICS_KEPT.key)
    not_politics = count(crawl, stats.POLITICS_DROPPED(reason="not_politics"))
    if spider == "politics" and kept == 0 and not_politics == parsed:
        problems.append(
            f"the politics filter dropped all {parsed} articles (has DW's category markup changed? "
            "see DWNEWS_POLITICS_CATEGORY_ID and DWNEWS_POLITICS_LABELS)"
        )
    return problems


def error_problems(crawl: Mapping[str, Any]) -> list[str]:
    errors = total(crawl, "dwnews/errors/")
    return [f"{errors} unhandled errors in callbacks or pipelines (see the log)"] if errors else []


def assess(crawl: Mapping[str, Any], limits: Thresholds, spider: str = "politics") -> list[str]:
    """Every problem the monitors find in a crawl's stats (empty: healthy)."""
    return [
        *discovery_problems(crawl, limits, spider),
        *failure_problems(crawl, limits),
        *markup_problems(crawl, limits, spider),
        *error_problems(crawl),
    ]


def stop_problems(crawl: Mapping[str, Any]) -> list[str]:
    """Why the crawl was stopped early (a refusal, a storage fault, an unreachable site), said once."""
    outcome = crawl.get(stats.OUTCOME.key)
    unreachable = crawl.get(stats.UNREACHABLE.key)
    if unreachable:  # "<the host that failed>: <what failed>"
        return [f"cannot reach {unreachable} (check the network, a proxy, or DWNEWS_BASE_URL)"]
    return [str(crawl.get(stats.OUTCOME_MESSAGE.key) or outcome)] if outcome else []


# ----- the monitors ---------------------------------------------------------------------------------------


def _stopped(monitor: Monitor) -> bool:
    """A crawl stopped on purpose is judged by its stop alone: nothing else about it means anything."""
    return bool(monitor.data.stats.get(stats.OUTCOME.key))


class _DwnewsMonitor(Monitor):  # type: ignore[misc]
    """A monitor judging one group of checks; its failure message is the problems, in one line."""

    def _judge(self, check: Callable[[Mapping[str, Any], Thresholds, str], list[str]]) -> None:
        if _stopped(self):
            return
        crawler = self.data.crawler
        limits = Thresholds.from_config(Config.read(crawler.settings))
        problems = check(self.data.stats, limits, getattr(self.data.spider, "name", "politics"))
        if problems:
            self.data.meta.setdefault(PROBLEMS, []).extend(problems)
        self.assertFalse(problems, msg="; ".join(problems))


@monitors.name("Stop")
class StopMonitor(Monitor):  # type: ignore[misc]
    @monitors.name("the crawl was not stopped early (storage fault, refusal, unreachable site)")
    def test_not_stopped(self) -> None:
        problems = stop_problems(self.data.stats)
        self.data.meta.setdefault(PROBLEMS, []).extend(problems)
        self.assertFalse(problems, msg="; ".join(problems))


@monitors.name("Discovery")
class DiscoveryMonitor(_DwnewsMonitor):
    @monitors.name("the discovery sources answered and linked articles")
    def test_sources(self) -> None:
        self._judge(discovery_problems)


@monitors.name("Failures")
class FailuresMonitor(_DwnewsMonitor):
    @monitors.name("few of the pages newly tried failed for good")
    def test_new_failures(self) -> None:
        self._judge(lambda crawl, limits, spider: failure_problems(crawl, limits))


@monitors.name("Markup")
class MarkupMonitor(_DwnewsMonitor):
    @monitors.name("the article pages give their core fields, and politics is found")
    def test_core_fields(self) -> None:
        self._judge(markup_problems)


@monitors.name("Errors")
class ErrorsMonitor(_DwnewsMonitor):
    @monitors.name("no unhandled error")
    def test_no_errors(self) -> None:
        self._judge(lambda crawl, limits, spider: error_problems(crawl))


@monitors.name("Finish")
class EndMonitor(FinishReasonMonitor):  # type: ignore[misc]
    """spidermon's finish-reason check, with its failure told in the run's words."""

    def test_should_finish_with_expected_reason(self) -> None:
        reason = self.data.stats.get("finish_reason")
        if reason in PLANNED_ENDS or _stopped(self):
            return
        if reason == "closespider_timeout":
            limit = self.data.crawler.settings.getint("CLOSESPIDER_TIMEOUT")
            problem = f"the crawl hit its time limit (CLOSESPIDER_TIMEOUT={limit} s) and stopped before its end"
        else:
            problem = f"the crawl ended early ({reason})"
        self.data.meta.setdefault(PROBLEMS, []).append(problem)
        self.fail(problem)


# ----- the alerts -------------------------------------------------------------------------------------------


def configured_alerts(crawler: Any) -> list[Any]:
    """The alert actions whose spidermon settings are given, built (none: no alert, no error). A
    channel given but not whole (an email without its SMTP login, Slack without slack_sdk) is said in
    one line and left out: a half-configured alert never takes the verdict down with it."""
    settings = crawler.settings
    wanted: list[tuple[str, Callable[[], type[Any]]]] = []
    if settings.get("SPIDERMON_EMAIL_TO") or settings.get("SPIDERMON_SMTP_HOST"):
        wanted.append(("email", _email))
    if settings.get("SPIDERMON_SLACK_SENDER_TOKEN") or settings.get("SPIDERMON_SLACK_RECIPIENTS"):
        wanted.append(("Slack", _slack))
    if settings.get("SPIDERMON_TELEGRAM_SENDER_TOKEN") or settings.get("SPIDERMON_TELEGRAM_RECIPIENTS"):
        wanted.append(("Telegram", _telegram))
    if settings.get("SPIDERMON_DISCORD_WEBHOOK_URL"):
        wanted.append(("Discord", _discord))
    built: list[Any] = []
    for channel, action_class in wanted:
        try:
            built.append(action_class().from_crawler(crawler))
        except Exception as error:  # spidermon's NotConfigured, a missing package: one line, no alert
            logger.error("dwnews: the %s alert is not configured: %s", channel, error)
    return built


# the actions, imported only when configured: the email's costs every crawl's start 110 ms (premailer,
# jinja2), Slack's needs slack_sdk, not a dependency
def _email() -> type[Any]:
    from dwnews.crawl.alerts import EmailAlert

    return EmailAlert


def _slack() -> type[Any]:
    from spidermon.contrib.actions.slack.notifiers import SendSlackMessageSpiderFinished

    return SendSlackMessageSpiderFinished  # type: ignore[no-any-return]


def _telegram() -> type[Any]:
    from spidermon.contrib.actions.telegram.notifiers import SendTelegramMessageSpiderFinished

    return SendTelegramMessageSpiderFinished  # type: ignore[no-any-return]


def _discord() -> type[Any]:
    from spidermon.contrib.actions.discord.notifiers import SendDiscordMessageSpiderFinished

    return SendDiscordMessageSpiderFinished  # type: ignore[no-any-return]


@monitors.name("Records")
class RecordsMonitor(ItemValidationMonitor):  # type: ignore[misc]
    """spidermon's item-validation check, on the records dwnews' record schema checked (the last
    pipeline counts them under spidermon's stat names). A page object never makes a record that
    breaks the schema, so the default limit, ``SPIDERMON_MAX_ITEM_VALIDATION_ERRORS``, is 0."""

    def run(self, result: Any) -> Any:
        # spidermon's stat monitors refuse to run without their setting; ours has a default
        return super(BaseStatMonitor, self).run(result)

    def get_threshold(self) -> float:
        return float(self.crawler.settings.getfloat(self.threshold_setting, 0))

    @monitors.name("the records kept the record schema")
    def test_stat_monitor(self) -> None:
        if _stopped(self):
            return
        errors, limit = count(self.data.stats, self.stat_name), self.get_threshold()
        if errors > limit:
            dropped = count(self.data.stats, stats.DROPPED(reason="bad_record"))
            self.data.meta.setdefault(PROBLEMS, []).append(
                f"{dropped} records broke the record schema and were dropped ({errors} problems > "
                f"SPIDERMON_MAX_ITEM_VALIDATION_ERRORS={limit:g}; the log's 'Dropped' lines say which)"
            )
        super().test_stat_monitor()


#: the monitors that say their problems themselves (in ``data.meta``), in the run's words
OURS = (StopMonitor, _DwnewsMonitor, EndMonitor, RecordsMonitor)


class HealthSuite(MonitorSuite):  # type: ignore[misc]
    """How a crawl went: see the module docstring."""

    monitors: ClassVar[list[type[Any]]] = [
        StopMonitor,
        EndMonitor,
        DiscoveryMonitor,
        FailuresMonitor,
        MarkupMonitor,
        RecordsMonitor,
        ErrorsMonitor,
    ]

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        # spidermon's extension counts the fields of the exported records (SPIDERMON_ENABLED,
        # SPIDERMON_ADD_FIELD_COVERAGE); its monitor judges them by SPIDERMON_FIELD_COVERAGE_RULES
        coverage = all(
            (settings.getbool("SPIDERMON_ENABLED"), settings.getbool("SPIDERMON_ADD_FIELD_COVERAGE"))
        ) and bool(settings.getdict("SPIDERMON_FIELD_COVERAGE_RULES"))
        super().__init__(monitors=[FieldCoverageMonitor] if coverage else [], crawler=crawler)
        self.monitors_failed_actions = configured_alerts(crawler)

    def on_monitors_failed(self, result: Any) -> None:
        """Before the alerts go out: a failed monitor of spidermon's own (field coverage) says its
        problem in its own words, among the run's problems (the alert's subject and text)."""
        for failed in result.monitors_failed_results:
            if isinstance(failed.item, OURS):
                continue
            # a failure's reason (unittest's "False is not true : " before the message), else the
            # last line of an error's traceback; in one line
            reason = getattr(failed, "reason", None)
            text = str(reason) if reason else (str(failed.error or "").strip().splitlines() or [""])[-1]
            text = text.split(" : ", 1)[-1] if text.startswith(("False is not true", "True is not false")) else text
            problem = " ".join(line.strip() for line in text.splitlines() if line.strip())
            failed.item.data.meta.setdefault(PROBLEMS, []).append(
                problem or f"spidermon's check {failed.item.name} failed"
            )
