"""A CSV feed that opens directly in a spreadsheet.

- one row per article, the columns always in this order: :data:`CSV_COLUMNS`;
- list fields joined with :data:`LIST_SEPARATOR` (" | "), images flattened into three
  columns (``image_urls``, ``image_captions``, ``image_credits``, aligned by position, a
  missing caption or credit left empty); no Python reprs anywhere;
- ``body`` keeps its paragraphs (blank lines inside a quoted cell);
- a cell that would start a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) gets a
  leading apostrophe, which spreadsheets show as text (CSV injection);
- UTF-8 without a byte order mark, as Scrapy writes it, so that Python's ``csv`` and pandas read
  the first column as ``short_id``; ``-s FEED_EXPORT_ENCODING=utf-8-sig`` adds the mark for Excel,
  which otherwise guesses another encoding;
- a list whose items are all empty (two images, neither with a credit) is an empty cell.
"""

from __future__ import annotations

from typing import IO, Any

from scrapy.exporters import CsvItemExporter

from dwnews.core.record import FIELD_NAMES, exported

LIST_SEPARATOR = " | "
_IMAGE_COLUMNS = ("image_urls", "image_captions", "image_credits")
CSV_COLUMNS: tuple[str, ...] = tuple(
    column for name in FIELD_NAMES for column in (_IMAGE_COLUMNS if name == "images" else (name,))
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(cell: str) -> str:
    """Make a cell that a spreadsheet would run as a formula read as text."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def csv_row(item: Any) -> dict[str, str]:
    """The flat row of an article: every column a string."""
    record = exported(item)
    images = record.pop("images", None) or []
    row: dict[str, str] = {}
    for name in CSV_COLUMNS:
        if name in _IMAGE_COLUMNS:
            key = name[len("image_") : -1]  # url, caption, credit
            value: Any = [image.get(key) or "" for image in images]
        else:
            value = record.get(name)
        if value is None:
            text = ""
        elif isinstance(value, (list, tuple)):
            parts = [str(part) for part in value]
            text = LIST_SEPARATOR.join(parts) if any(parts) else ""
        else:
            text = str(value)
        row[name] = neutralize(text)
    return row


class SpreadsheetCsvItemExporter(CsvItemExporter):
    """Scrapy's CSV exporter with the fixed columns and cell rules above."""

    def __init__(self, file: IO[bytes], **kwargs: Any) -> None:
        kwargs["fields_to_export"] = list(CSV_COLUMNS)
        super().__init__(file, **kwargs)  # type: ignore[arg-type]

    def export_item(self, item: Any) -> None:
        super().export_item(csv_row(item))
