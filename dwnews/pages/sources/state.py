"""The state DW's React app embeds in its pages: ``window.__APOLLO_STATE__`` (2023-24), a flat
Apollo cache of ``"Type:id"`` entities, and ``window.__APP_STATE__`` (since 2025).

Its ``Article`` entity has what no other source has: the category ids, the body as HTML (whole
even where the DOM shows a teaser of it), the content id and the persons behind the article.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, TypeGuard

from lxml.etree import ParserError

from dwnews.core import ids
from dwnews.core.dates import iso_utc
from dwnews.core.text import collapse_whitespace, dedupe
from dwnews.pages.html import extract_body, parse_html, read_json, walk_dicts
from dwnews.pages.sources import FoundBody, Source, found_body

# DW's language enum (state ``Article.language``) for the editions this project reads.
# fmt: off
STATE_LANGUAGES = {
    "KISWAHILI": "sw", "GERMAN": "de", "ENGLISH": "en", "FRENCH": "fr", "BOSNIAN": "bs", "AMHARIC": "am",
    "HAUSA": "ha", "PORTUGUESE": "pt", "SPANISH": "es", "ARABIC": "ar",
}
# fmt: on

_STATE_MARKERS = ("window.__APP_STATE__", "window.__APOLLO_STATE__")


def _is_json_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # True is an int to Python, not to JSON


class AppState(Source):
    """The fields of the embedded state's ``Article`` entity for this page's content id."""

    name = "state"

    @cached_property
    def data(self) -> dict[str, Any]:
        """The embedded app state (``__APP_STATE__`` or ``__APOLLO_STATE__``) as a dict, or {}."""
        for script in self.page.tree.xpath("//script[not(@src)]"):
            text = script.text or ""
            for marker in _STATE_MARKERS:
                start = text.find(marker)
                if start < 0:
                    continue
                brace = text.find("{", start + len(marker))
                if brace < 0:
                    continue
                try:
                    value = read_json(text, brace)
                except ValueError:  # invalid, or nested too deep (see MAX_JSON_DEPTH)
                    self.page.events.append("state_invalid")
                    continue
                if isinstance(value, dict):
                    self.page.events.append("state/" + ("app" if "APP" in marker else "apollo"))
                    return value
        return {}

    @cached_property
    def article(self) -> dict[str, Any]:
        """The state's ``Article`` entity for this page's content id, or {}."""
        if not self.data:
            return {}
        wanted = self.page.path_content_id
        if wanted is not None and isinstance(self.data.get(f"Article:{wanted}"), dict):
            return dict(self.data[f"Article:{wanted}"])
        for entity in walk_dicts(self.data):
            is_article = entity.get("__typename") == "Article" and "text" in entity
            entity_id = entity.get("id")
            if is_article and (wanted is None or (_is_json_int(entity_id) and entity_id == wanted)):
                return entity
        return {}

    def resolve(self, value: Any) -> Any:
        """Follow an Apollo ``{"__ref": "Type:id"}`` reference (one step: no chain, no loop)."""
        if isinstance(value, dict) and set(value) == {"__ref"}:
            ref = value["__ref"]
            return self.data.get(ref, {}) if isinstance(ref, str) else {}
        return value

    def content_id(self) -> int | None:
        value = self.article.get("id")
        if not _is_json_int(value):
            if value is not None:
                self.page.events.append("bad_type/content_id")
            return None
        if not ids.valid_content_id(value):
            self.page.events.append("bad_value/content_id")
            return None
        return value

    def page_short_id(self) -> str | None:
        return ids.short_id_from_text(self.json_text("page_short_id", self.article.get("permaLinkUrl")))

    def language(self) -> str:
        return STATE_LANGUAGES.get(self.json_text("language", self.article.get("language")), "")

    def title(self) -> str:
        return collapse_whitespace(self.json_text("title", self.article.get("title")))

    def teaser(self) -> str:
        return collapse_whitespace(self.json_text("teaser", self.article.get("teaser")))

    def body(self) -> FoundBody | None:
        html = self.article.get("text")
        if not isinstance(html, str) or not html.strip():
            return None
        try:  # as lxml's fragment_fromstring, with the page's own parse rules (depth bound)
            tree, too_deep = parse_html(f"<html><body>{html}</body></html>")
        except (ParserError, ValueError):
            self.page.events.append("state_text_invalid")
            return None
        if too_deep:
            self.page.events.append("html_too_deep")
        fragment = tree.find("body")
        if fragment is None:
            self.page.events.append("state_text_invalid")
            return None
        return found_body(fragment, extract_body(fragment))

    def category(self) -> str:
        focus = self.article.get("thematicFocusCategory") or {}
        name = focus.get("name") if isinstance(focus, dict) else None
        return collapse_whitespace(self.json_text("category", name))

    @cached_property
    def _category_ids(self) -> list[str]:
        # JSON strings (DW writes ids as strings), never str() of a number or an object
        categories = self.json_list("category_id", self.article.get("categories"))
        found = [self.json_text("category_id", c.get("originId")).strip() for c in categories if isinstance(c, dict)]
        return [category_id for category_id in found if category_id]

    def category_ids(self) -> list[str]:
        return self._category_ids

    def category_id(self) -> str | None:
        return self._category_ids[0] if self._category_ids else None

    def authors(self) -> list[str]:
        names = []
        for ref in self.json_list("authors", self.article.get("persons")):
            person = self.resolve(ref)
            if isinstance(person, dict):
                names.append(collapse_whitespace(self.json_text("authors", person.get("fullName"))))
        return dedupe([name for name in names if name])

    def published(self) -> str | None:
        return iso_utc(self.json_text("published", self.article.get("firstPublicationDate")))

    def modified(self) -> str | None:
        return iso_utc(self.json_text("modified", self.article.get("lastModifiedDate")))
