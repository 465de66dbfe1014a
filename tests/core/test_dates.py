"""dwnews.dates: DW timestamps and Kiswahili text dates to ISO UTC."""

from __future__ import annotations

import pytest

from dwnews.core.dates import iso_utc, parse_text_date


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2024-01-30T14:13:12.269Z", "2024-01-30T14:13:12Z"),
        ("2023-09-14T12:12:00+02:00", "2023-09-14T10:12:00Z"),
        ("2023-09-14T03:12:00-07:00", "2023-09-14T10:12:00Z"),
        ("2026-06-14T19:00:01", "2026-06-14T19:00:01Z"),
        ("2023-04-28", "2023-04-28"),
        ("28.04.2023", "2023-04-28"),
        ("31.02.2023", None),
        ("jana jioni", None),
        ("", None),
        (None, None),
    ],
)
def test_iso_utc(raw: str | None, expected: str | None) -> None:
    assert iso_utc(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 Septemba 2023", "2023-09-14"),
        ("Jumatano, 13 Septemba 2023", "2023-09-13"),
        ("10 Machi 2025", "2025-03-10"),
        ("1 Januari 2024", "2024-01-01"),
        ("28.04.2023", "2023-04-28"),
        ("Septemba", None),
    ],
)
def test_kiswahili_text_dates(text: str, expected: str | None) -> None:
    assert parse_text_date(text) == expected


def test_unknown_page_language_does_not_break_text_dates() -> None:
    """Found by the fuzz test: a page whose lang attribute is garbage ("ie")."""
    assert (
        parse_text_date("14 Septemba 2023", "ie") is None or parse_text_date("14 Septemba 2023", "ie") == "2023-09-14"
    )
    assert parse_text_date("no date here", "zz") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # not representable in UTC: astimezone raised OverflowError
        ("9999-12-31T23:59:59-23:59", None),
        ("0001-01-01T00:00:00+05:00", None),
        # the same moments where UTC stays in years 1..9999
        ("9999-12-31T23:59:59+23:59", "9999-12-31T00:00:59Z"),
        ("0001-01-01T23:00:00+05:00", "0001-01-01T18:00:00Z"),
        ("9999-12-31T23:59:59Z", "9999-12-31T23:59:59Z"),
        # years before 1000 keep four digits (strftime("%Y") gave "999-...")
        ("0999-01-01T00:00:00Z", "0999-01-01T00:00:00Z"),
        ("0999-01-01", "0999-01-01"),
        ("01.01.0999", "0999-01-01"),
        # malformed
        ("banana", None),
        ("2024-13-45", None),
        ("2024-02-30T10:00:00Z", None),
        ("0000-01-01", None),
        ("2024-03-27T16:02:37Z\x00", None),  # fromisoformat stopped at the NUL and took the date
        ("2024-03-27\x00", None),
        ("\u0662\u0668.04.2023", None),  # Arabic-Indic digits: not DW's
        ("2024-03-27T16:02:37+99:00", None),
        ("2024-06-30T23:59:60Z", None),
        ("9" * 5000, None),
    ],
)
def test_iso_utc_out_of_range_and_malformed(raw: str, expected: str | None) -> None:
    assert iso_utc(raw) == expected


@pytest.mark.parametrize("text", ["99999999999999999999 Septemba 2023", "14 Septemba 99999999999"])
def test_text_dates_with_huge_numbers(text: str) -> None:
    assert parse_text_date(text) is None
