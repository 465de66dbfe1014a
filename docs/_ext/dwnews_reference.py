"""The settings and stats references, generated from their one definition in the code.

Every ``DWNEWS_*`` setting is defined once in :data:`dwnews.core.config.SETTINGS` and every
``dwnews/...`` stat once in :data:`dwnews.core.stats.STATS`. This extension turns them into the
docs' reference tables, so the docs cannot disagree with the code:

- a page holds a placeholder block, ```` ```{dwnews-reference} settings ```` (or ``stats``), which
  the ``source-read`` handler replaces with one Markdown heading and one table directive per group,
  in the order the code defines them (a group added in the code gets its section);
- the table directives (``dwnews-settings-table``, ``dwnews-stats-table``) build the tables as
  docutils nodes (no Markdown escaping of ``|`` or ``<field>``) and register each row as a target;
- the roles ``{setting}`DWNEWS_...``` and ``{stat}`dwnews/...``` link to a row from any page, and
  warn (so ``sphinx-build -W`` fails) when the name is not defined in the code: a concrete stat key
  such as ``dwnews/failed/article/http_404`` links to its family ``dwnews/failed/{page}/{reason}``.

Both modules are pure Python: importing them needs no Scrapy.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.nodes import make_id

from dwnews.core import config, stats

logger = logging.getLogger(__name__)

_PLACEHOLDER = re.compile(r"^```\{dwnews-reference\}[ \t]+(?P<what>\w+)[ \t]*\n```[ \t]*$", re.MULTILINE)


def _group_title(group: str) -> str:
    return group[:1].upper() + group[1:]


def _groups(what: str) -> list[str]:
    if what == "settings":
        return list(dict.fromkeys(entry.group for entry in config.SETTINGS))
    if what == "stats":
        return [group for group, _ in stats.groups()]
    raise ValueError(f"unknown reference {what!r}: settings or stats")


def expand_placeholders(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: each placeholder becomes a heading and a table directive per group."""

    def expand(match: re.Match[str]) -> str:
        what = match.group("what")
        try:
            groups = _groups(what)
        except ValueError as error:
            logger.warning("%s", error, location=docname)
            return match.group(0)
        blocks = [f"## {_group_title(group)}\n\n```{{dwnews-{what}-table}} {group}\n```\n" for group in groups]
        return "\n".join(blocks)

    source[0] = _PLACEHOLDER.sub(expand, source[0])


def _inline(text: str) -> list[nodes.Node]:
    """Text with ``code`` spans as literals; everything else as plain text (no markup to escape)."""
    parts = re.split(r"`([^`]+)`", text)
    return [nodes.literal(part, part) if index % 2 else nodes.Text(part) for index, part in enumerate(parts) if part]


def _cell(*children: nodes.Node) -> nodes.entry:
    return nodes.entry("", nodes.paragraph("", "", *children))


def _table(widths: list[int], header: list[str], rows: list[list[nodes.entry]]) -> nodes.table:
    table = nodes.table(classes=["dwnews-reference", "colwidths-given"])
    group = nodes.tgroup(cols=len(widths))
    table += group
    group.extend(nodes.colspec(colwidth=width) for width in widths)
    head = nodes.thead()
    head += nodes.row("", *(_cell(nodes.Text(title)) for title in header))
    group += head
    body = nodes.tbody()
    body.extend(nodes.row("", *cells) for cells in rows)
    group += body
    return table


def _default(entry: config.Setting) -> str:
    value = entry.default
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False)
    if value == "":
        return ""
    return str(value)


def _values(entry: config.Setting) -> str:
    """The kind of a setting and its bounds, in a few words."""
    parts = [entry.kind]
    low, high = entry.minimum, entry.maximum
    if low is not None and high is not None:
        parts.append(f"{low:g} to {high:g}")
    elif low is not None:
        parts.append(f"at least {low:g}")
    elif high is not None:
        parts.append(f"at most {high:g}")
    if entry.choices:
        parts.append("of: " + ", ".join(entry.choices))
    if not entry.allow_empty:
        parts.append("not empty")
    return "; ".join(parts)


class _ReferenceTable(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    has_content = False
    objtype = ""  # the std domain's object type of a row (see setup)
    prefix = ""
    module: Any = None

    def target(self, name: str) -> nodes.target:
        """A target for one row, registered so that the role of this object type finds it."""
        node_id = make_id(self.env, self.state.document, self.prefix, name)
        target = nodes.target("", "", ids=[node_id])
        self.state.document.note_explicit_target(target)
        self.env.get_domain("std").note_object(self.objtype, name, node_id, location=(self.env.docname, self.lineno))
        return target

    def run(self) -> list[nodes.Node]:
        self.env.note_dependency(str(Path(self.module.__file__).resolve()))
        return [self.table(self.arguments[0])]

    def table(self, group: str) -> nodes.table:
        raise NotImplementedError


class SettingsTable(_ReferenceTable):
    """The settings of one group of :data:`dwnews.core.config.SETTINGS`."""

    objtype = "dwnews-setting"
    prefix = "setting"
    module = config

    def table(self, group: str) -> nodes.table:
        rows = []
        for entry in config.SETTINGS:
            if entry.group != group:
                continue
            default = _default(entry)
            meaning = nodes.entry(
                "",
                nodes.paragraph("", "", *_inline(entry.doc)),
                nodes.paragraph("", "", nodes.emphasis("", _values(entry))),
            )
            rows.append(
                [
                    _cell(self.target(entry.name), nodes.literal(entry.name, entry.name)),
                    _cell(nodes.literal(default, default)) if default else _cell(nodes.emphasis("", "empty")),
                    meaning,
                ]
            )
        return _table([32, 22, 46], ["setting", "default", "meaning (and kind)"], rows)


class StatsTable(_ReferenceTable):
    """The stats of one group of :data:`dwnews.core.stats.STATS`."""

    objtype = "dwnews-stat"
    prefix = "stat"
    module = stats

    def table(self, group: str) -> nodes.table:
        rows = []
        for stat in dict(stats.groups()).get(group, []):
            rows.append([_cell(self.target(stat.key), nodes.literal(stat.key, stat.key)), _cell(*_inline(stat.doc))])
        return _table([45, 55], ["stat", "what it counts"], rows)


class _CheckedRole(SphinxRole):
    """A link to a reference row, after checking the name against the code."""

    reftype = ""  # the std domain's role that resolves to a row (see setup)
    what = ""
    where = ""

    def lookup(self, name: str) -> str | None:
        """The row's name for ``name``, or None when the code defines no such thing."""
        raise NotImplementedError

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        name = self.text.strip()
        row = self.lookup(name)
        literal = nodes.literal(name, name)
        if row is None:
            logger.warning("%s %r is not defined in %s", self.what, name, self.where, location=self.get_location())
            return [literal], []
        reference = addnodes.pending_xref(
            self.rawtext, refdomain="std", reftype=self.reftype, reftarget=row, refexplicit=True, refwarn=True
        )
        reference += literal
        return [reference], []


class SettingRole(_CheckedRole):
    reftype = "dwnews-setting-ref"
    what = "setting"
    where = "dwnews/core/config.py"

    def lookup(self, name: str) -> str | None:
        try:
            return config.setting(name).name
        except KeyError:
            return None


class StatRole(_CheckedRole):
    reftype = "dwnews-stat-ref"
    what = "stat"
    where = "dwnews/core/stats.py"

    def lookup(self, name: str) -> str | None:
        """The stat's own key, or the most specific family the whole key fits (a placeholder stands
        for one or more path segments: ``dwnews/article/{event}`` takes ``source/title/jsonld``)."""
        best: tuple[int, str] | None = None
        for stat in stats.STATS:
            if stat.key == name:
                return stat.key
            literals = re.split(r"\{[^}]*\}", stat.key)
            if len(literals) == 1:
                continue
            pattern = "[^/]+(?:/[^/]+)*".join(re.escape(literal) for literal in literals)
            specificity = sum(len(literal) for literal in literals)
            if re.fullmatch(pattern, name) and (best is None or specificity > best[0]):
                best = (specificity, stat.key)
        return best[1] if best else None


def setup(app: Sphinx) -> dict[str, Any]:
    # The rows are objects of the std domain (that is what resolves the links). Their types are not
    # named "setting" and "stat": the std domain's own roles of those names would shadow ours.
    for objtype in ("dwnews-setting", "dwnews-stat"):
        app.add_object_type(objtype, f"{objtype}-ref")
    app.add_role("setting", SettingRole())
    app.add_role("stat", StatRole())
    app.add_directive("dwnews-settings-table", SettingsTable)
    app.add_directive("dwnews-stats-table", StatsTable)
    app.connect("source-read", expand_placeholders)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
