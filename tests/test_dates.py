"""dwnews.dates: DW timestamps and Kiswahili text dates to ISO UTC."""

from __future__ import annotations

import pytest

from dwnews.dates import iso_utc, parse_text_date


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
