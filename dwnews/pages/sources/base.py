"""What every source of an article page's fields shares, and the values sources give that are no text.

A source has one method per field it can give, named after the field; the method returns the
field's value, or something empty ("", [], None) when the source does not say it. It never raises
on what a page holds: a value of the wrong JSON type is an event (``bad_type/<field>``) and no value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from dwnews.pages.html import Body, first

if TYPE_CHECKING:
    from dwnews.pages.article import ArticlePage

STATIC_IMAGE_BASE = "https://static.dw.com/"
#: :attr:`ArticlePage.layout` of a page that no layout's ``layout`` hook recognises
UNKNOWN_LAYOUT = "unknown"


@dataclass
class Image:
    """An image of the article: URL with the format template resolved, caption and credit."""

    url: str
    caption: str | None
    credit: str | None

    def as_dict(self) -> dict[str, str | None]:
        return {"url": self.url, "caption": self.caption, "credit": self.credit}


class FoundBody(NamedTuple):
    """What a ``body`` hook gives: a body with text, and the element it was read from (the figures
    in it are the body's images)."""

    container: Any
    body: Body


def found_body(container: Any, body: Body) -> FoundBody | None:
    """The body of a container, or None when it has no paragraph: the next source is asked then."""
    return FoundBody(container, body) if body.paragraphs else None


class Source:
    """One place a DW article page states its fields: the JSON-LD, the embedded state, a DOM layout,
    the ``<meta>`` tags. Subclasses have one method per field they give; the page composes them
    (see ``COMPOSITION`` in :mod:`dwnews.pages.article`).
    """

    #: the ``<source>`` of the ``source/<field>/<source>`` events of the fields it gives
    name: ClassVar[str]
    #: the fields whose events name what the hook reads instead (the current layout's ``kicker``)
    event_names: ClassVar[Mapping[str, str]] = {}

    def __init__(self, page: ArticlePage) -> None:
        self.page = page

    @classmethod
    def event_name(cls, field: str) -> str:
        return cls.event_names.get(field, cls.name)

    def first(self, xpath: str) -> Any | None:
        """The first node of the page ``xpath`` finds (see :func:`dwnews.pages.html.first`)."""
        return first(self.page.tree, xpath)

    # ----- typed reads of JSON: what the record promises, or nothing and an event ----------

    def bad(self, kind: str, name: str) -> None:
        self.page.events.append(f"{kind}/{name}")

    def json_text(self, name: str, value: Any) -> str:
        """A JSON string, as it is; "" for null. A number, object, array or bool where text belongs
        is no text (str() of it would give a title "inf" or "{'x': 1}"): "" and ``bad_type/<name>``."""
        if isinstance(value, str):
            return value
        if value is not None:
            self.bad("bad_type", name)
        return ""

    def json_list(self, name: str, value: Any) -> list[Any]:
        """A JSON array; an object alone counts as an array of one; [] for null, [] and
        ``bad_type/<name>`` for anything else."""
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
        if value is not None:
            self.bad("bad_type", name)
        return []
