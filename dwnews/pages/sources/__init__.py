"""The sources of an article page's fields, one module each, and what they share.

A source is one place a DW page states its fields: the JSON-LD ``NewsArticle`` (``jsonld``), the
state the React app embeds (``state``), the DOM of one of DW's layouts (``current``, ``legacy``),
the ``<meta>`` tags (``meta``). Each is a :class:`Source` with one method per field it can give,
named after the field: it returns the field's value, or something empty ("", [], None) when the
source does not say it, and never raises on what a page holds (a value of the wrong JSON type is an
event, ``bad_type/<field>``, and no value). A layout's hooks are all in its module, so a layout DW
no longer serves is deleted whole: its module and its row in ``COMPOSITION``
(:mod:`dwnews.pages.article`), which says in which order the page asks its sources for each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from dwnews.pages.html import Body, first

if TYPE_CHECKING:
    from dwnews.pages.article import ArticlePage

STATIC_IMAGE_BASE = "https://static.dw.com/"
UNKNOWN_LAYOUT = "unknown"  # the layout of a page no source's ``layout`` hook recognises


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
    """None when the body has neither a paragraph nor a credit line: the next source is asked then."""
    return FoundBody(container, body) if body.paragraphs or body.authors or body.editors or body.agencies else None


class Source:
    """One place a DW article page states its fields; the page composes them (``COMPOSITION``)."""

    name: ClassVar[str]  # the ``<source>`` of its ``source/<field>/<source>`` events
    event_names: ClassVar[Mapping[str, str]] = {}  # fields whose events name what the hook reads instead

    def __init__(self, page: ArticlePage) -> None:
        self.page = page

    def first(self, xpath: str) -> Any | None:
        return first(self.page.tree, xpath)

    def json_text(self, name: str, value: Any) -> str:
        """A JSON string, as it is; "" for null. A number, object, array or bool where text belongs
        is no text (str() of it would give a title "inf" or "{'x': 1}"): "" and ``bad_type/<name>``."""
        if isinstance(value, str):
            return value
        if value is not None:
            self.page.events.append(f"bad_type/{name}")
        return ""

    def json_list(self, name: str, value: Any) -> list[Any]:
        """A JSON array; an object alone counts as an array of one; [] for null, [] and
        ``bad_type/<name>`` for anything else."""
        if isinstance(value, list):
            return value
        if isinstance(value, dict):
            return [value]
        if value is not None:
            self.page.events.append(f"bad_type/{name}")
        return []
