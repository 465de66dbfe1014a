"""The article record: the one place that defines its fields, their order and their types.

:class:`Article` is the item the spiders yield and the record every output holds (JSON Lines, JSON,
CSV, the ledger's copy). :func:`record_problems` is the one check of a record that comes from
outside a crawl (a file being imported, a row read back from the ledger).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from dwnews.core.ids import content_id_to_short_id, valid_content_id
from dwnews.core.text import CleanText
from dwnews.core.urls import usable_url


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

#: what a record must have to be exported: missing one, it is dropped (counted per field). The text
#: is the body: an old DW radio item, whose text is its teaser and whose body holds only credit
#: lines, gets its teaser as its body from the page object; a teaser alone is never taken for the
#: text (a body DW moved where no hook finds it would export teasers for good)
CORE_FIELDS: tuple[str, ...] = ("short_id", "title", "body", "published")

# The type of each field's value (None allowed for every field but short_id and content_id).
_TEXT = frozenset({"short_id", "short_url", "url", "language", "content_type", "title", "teaser", "body"})
_TEXT |= {"category", "category_id", "published", "modified", "crawled_at"}
_TEXT_LISTS = frozenset({"subheadings", "topics", "authors", "editors", "agencies"})
_URLS = ("short_url", "url")
_IMAGE_KEYS = ("url", "caption", "credit")


def missing_fields(record: Mapping[str, Any]) -> list[str]:
    """The core fields a record lacks (:data:`CORE_FIELDS`)."""
    return [name for name in CORE_FIELDS if not record.get(name)]


def exported(item: Any) -> dict[str, Any]:
    """The exported fields of an item (an :class:`Article` or a mapping) as a dict, in the export order."""
    if isinstance(item, Article):
        return {name: getattr(item, name) for name in FIELD_NAMES}
    if isinstance(item, Mapping):
        return {name: item.get(name) for name in FIELD_NAMES if name in item}
    raise TypeError(f"not an article record: {type(item).__name__}")


def record_problems(record: Any) -> list[str]:
    """What makes ``record`` (read from outside: a file, a database row) no dwnews record; empty if none.

    Every field present has its promised type; URLs are absolute http(s); the short id is the
    base-62 form of the content id.
    """
    if not isinstance(record, dict):
        return [f"not a JSON object but {type(record).__name__}"]
    problems: list[str] = []
    short_id, content_id = record.get("short_id"), record.get("content_id")
    if not isinstance(content_id, int) or isinstance(content_id, bool) or not valid_content_id(content_id):
        problems.append(f"content_id {str(content_id)[:40]!r} is no content id")
    elif short_id != content_id_to_short_id(content_id):
        problems.append(f"short_id {str(short_id)[:40]!r} is not the short id of content_id {content_id}")
    for name, value in record.items():
        if value is None or name in ("short_id", "content_id"):
            continue
        if name in _TEXT and not isinstance(value, str):
            problems.append(f"{name} is {type(value).__name__}, not text")
        elif name in _TEXT_LISTS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            problems.append(f"{name} is not a list of text")
        elif name == "word_count" and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            problems.append("word_count is not a count")
        elif name == "images" and not _images_ok(value):
            problems.append("images is not a list of {url, caption, credit} with http(s) URLs")
    for name in _URLS:
        value = record.get(name)
        if isinstance(value, str) and not usable_url(value):
            problems.append(f"{name} {value[:60]!r} is no http(s) URL")
    return problems


def _images_ok(value: Any) -> bool:
    if not isinstance(value, list):
        return False
    for image in value:
        if not isinstance(image, dict) or not isinstance(image.get("url"), str) or not usable_url(image["url"]):
            return False
        if any(not (image.get(key) is None or isinstance(image.get(key), str)) for key in _IMAGE_KEYS):
            return False
    return True


def is_record(record: Any) -> bool:
    """Is this (read from outside) an article record the ledger may keep? See :func:`record_problems`."""
    return not record_problems(record)


def record_json(record: Mapping[str, Any]) -> str:
    """A record as one line of compact JSON (as the ledger stores it)."""
    return json.dumps(record, ensure_ascii=False, sort_keys=False, separators=(",", ":"))
