"""Settings: every DWNEWS_* value is parsed and checked by its one definition before the crawl starts."""

from __future__ import annotations

import pytest
from scrapy.settings import Settings

from dwnews import settings as defaults
from dwnews.core.config import SETTINGS, Config, parse, setting
from dwnews.core.outcome import SettingError


def project(**overrides: object) -> Settings:
    settings = Settings()
    settings.setmodule(defaults, priority="project")
    settings.update(overrides, priority="cmdline")
    return settings


def test_the_defaults_pass_and_every_setting_is_in_the_settings_module() -> None:
    config = Config.read(project())
    for entry in SETTINGS:
        assert getattr(defaults, entry.name) == entry.default
        assert config[entry.name] == parse(entry, entry.default)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DWNEWS_MAX_FAILURES", "abc", "expected a whole number"),
        ("DWNEWS_REVISIONS", "maybe", "expected True or False"),
        ("DWNEWS_INCREMENTAL", "perhaps", "expected True or False"),
        ("DWNEWS_HEALTH_MAX_FAILED_SHARE", "x", "expected a number"),
        ("DWNEWS_HEALTH_MAX_FAILED_SHARE", "-1", "expected at least 0"),
        ("DWNEWS_HEALTH_MAX_FAILED_SHARE", "nan", "expected a number"),
        ("DWNEWS_HEALTH_MIN_ARTICLES", "-1", "expected at least 0"),
        ("DWNEWS_HEALTH_EXIT_CODE", "0", "expected at least 3"),
        ("DWNEWS_HEALTH_EXIT_CODE", "300", "expected at most 125"),
        ("DWNEWS_HEALTH_EXIT_CODE", "4", "4 means a storage fault"),
        ("DWNEWS_STATE_DIR", "", "must not be empty"),
        ("DWNEWS_SOURCES", "sections,rss", "unknown value 'rss'"),
        ("DWNEWS_SPLASH_PAGES", '["gallery"]', "unknown value 'gallery'"),
        ("DWNEWS_POLITICS_LABELS", "[1]", "expected a JSON list or comma-separated values"),
        ("DWNEWS_SPLASH_ARGS", "{nope", "expected a JSON object"),
        ("DWNEWS_BASE_URL", "dw.com", "expected a site root"),
    ],
)
def test_a_bad_value_is_one_clear_error_naming_the_setting(name: str, value: str, expected: str) -> None:
    with pytest.raises(SettingError) as caught:
        Config.read(project(**{name: value}))
    message = str(caught.value)
    assert message.startswith(f"{name}=") and expected in message and "\n" not in message


def test_command_line_strings_of_the_right_type_pass() -> None:
    config = Config.read(
        project(
            DWNEWS_MAX_FAILURES="3", DWNEWS_REVISIONS="True", DWNEWS_RETRY_BACKOFF="0.5", DWNEWS_HEALTH_EXIT_CODE="7"
        )
    )
    assert (config["DWNEWS_MAX_FAILURES"], config["DWNEWS_REVISIONS"], config["DWNEWS_RETRY_BACKOFF"]) == (3, True, 0.5)
    assert config["DWNEWS_HEALTH_EXIT_CODE"] == 7


@pytest.mark.parametrize("value", ['["Siasa", "Politik"]', "Siasa, Politik", ["Siasa", "Politik"]])
def test_a_list_setting_is_a_json_list_or_comma_separated(value: object) -> None:
    config = Config.read(project(DWNEWS_POLITICS_LABELS=value))
    assert config["DWNEWS_POLITICS_LABELS"] == ["Siasa", "Politik"]
    assert config.politics.folded_labels == ("siasa", "politik")


def test_a_redis_url_with_a_password_is_refused_without_showing_it() -> None:
    with pytest.raises(SettingError) as caught:
        Config.read(project(DWNEWS_REDIS_URL="http://:S3cret@10.0.0.5:6379/0"))
    assert "S3cret" not in str(caught.value) and "is not a Redis URL" in str(caught.value)


def test_a_site_root_is_normalised_and_its_profile_derived() -> None:
    config = Config.read(project(DWNEWS_BASE_URL="http://127.0.0.1:8000/"))
    site = config.site
    assert site.base_url == "http://127.0.0.1:8000"
    assert site.home_url == "http://127.0.0.1:8000/sw/idhaa-ya-kiswahili/s-11588"
    assert site.feeds == ("http://127.0.0.1:8000/rdf/rss-kis-all",), "the feed host's paths, on the mirror"
    assert setting("DWNEWS_BASE_URL").kind == "url"
