"""Settings: every DWNEWS_* value is checked against its default's type before the crawl starts."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from dwnews import settings as defaults
from dwnews.spiders.base import ArgumentError, check_settings


def project(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(defaults, priority="project")
    settings.update(overrides, priority="cmdline")
    return settings


def test_the_defaults_pass() -> None:
    check_settings(project())


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DWNEWS_MAX_FAILURES", "abc", "a whole number"),
        ("DWNEWS_REVISIONS", "maybe", "True or False"),
        ("DWNEWS_INCREMENTAL", "perhaps", "True or False"),
        ("DWNEWS_HEALTH_MAX_FAILED_SHARE", "x", "a number"),
    ],
)
def test_a_value_of_the_wrong_type_is_one_clear_error(name: str, value: str, expected: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        check_settings(project(**{name: value}))
    assert str(caught.value).startswith(f"{name}={value!r}: expected {expected}")


def test_command_line_strings_of_the_right_type_pass() -> None:
    check_settings(project(DWNEWS_MAX_FAILURES="3", DWNEWS_REVISIONS="True", DWNEWS_RETRY_BACKOFF="0.5"))
