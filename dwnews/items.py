"""The article record: the one place that defines its fields and their order."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from itemadapter import ItemAdapter

from dwnews.text import CleanText


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
    #: the body as the page object structured it (paragraphs, subheadings, credit lines moved
    #: out), for the cleaning pipeline; never exported, dropped once the body is cleaned
    parts: CleanText | None = field(default=None, repr=False, compare=False, metadata={"transient": True})

    @classmethod
    def from_record(cls, record: dict[str, Any], crawled_at: str, parts: CleanText | None = None) -> Article:
        """Build from a page object's record (every field but ``crawled_at``)."""
        return cls(**record, crawled_at=crawled_at, parts=parts)


#: the exported fields, in the export order (settings.FEED_EXPORT_FIELDS)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Article) if not f.metadata.get("transient"))


def exported(item: Any) -> dict[str, Any]:
    """The exported fields of an item (an Article or a dict) as a dict, in the export order."""
    adapter = ItemAdapter(item)
    return {name: adapter.get(name) for name in FIELD_NAMES if name in adapter or isinstance(item, Article)}


CORE_FIELDS: tuple[str, ...] = ("short_id", "title", "body", "published")
