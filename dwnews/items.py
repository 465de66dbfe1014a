"""The article record: the one place that defines its fields and their order."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class Article:
    """One DW article, as exported (JSON Lines, JSON, CSV). Field order is the export order.

    Dates are ISO 8601 strings in UTC (``2023-09-14T10:12:00Z``, or ``2023-09-14`` when the
    page gives only a date): strings, because feed exporters before Scrapy 2.18 drop the
    timezone of ``datetime`` values.
    """

    short_id: str
    short_url: str
    content_id: int
    url: str
    language: str | None = None
    content_type: str = "article"
    title: str | None = None
    teaser: str | None = None
    body: str = ""
    subheadings: list[str] = field(default_factory=list)
    category: str | None = None
    category_id: str | None = None
    topics: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    images: list[dict[str, str | None]] = field(default_factory=list)
    word_count: int = 0
    crawled_at: str | None = None

    @classmethod
    def from_record(cls, record: dict[str, Any], crawled_at: str) -> Article:
        """Build from a page object's record (every field but ``crawled_at``)."""
        return cls(**record, crawled_at=crawled_at)


FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Article))
CORE_FIELDS: tuple[str, ...] = ("short_id", "title", "body", "published")
