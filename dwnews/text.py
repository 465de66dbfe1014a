"""Pure text helpers shared by the page objects: whitespace and boilerplate line rules.

Each rule carries a one-line reason. The Kiswahili corpus cleaning pipeline builds on these.
"""

from __future__ import annotations

import re

# NBSP, narrow NBSP, figure space and the other Unicode spaces DW's editor leaves behind:
# readers see a space, so the corpus gets one.
_SPACE_RE = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")

# "Soma pia: <link>" (Kiswahili), "Read more:", "Mehr zum Thema:", "Lesen Sie auch:": a teaser
# for another article, not part of this one.
READ_MORE_RE = re.compile(
    r"^\s*(?:soma\s+(?:pia|zaidi|zaidi\s+hapa)|read\s+more|read\s+also|also\s+read|mehr\s+zum\s+thema|"
    r"lesen\s+sie\s+(?:auch|mehr))\s*[:\-–]",
    re.IGNORECASE,
)

# "(AP, DPA, Reuters)" or "jp/ch (dpa, afp)": the news agencies line that ends DW news items.
AGENCIES_RE = re.compile(
    r"^\s*(?:[a-zA-Z]{1,5}(?:\s*/\s*[a-zA-Z]{1,5})+\s*)?"
    r"\(\s*(?P<names>[A-Za-z][\w.&' -]{0,30}(?:\s*,\s*[A-Za-z][\w.&' -]{0,30})*)\s*\)\s*\.?\s*$"
)

# "Mhariri: <name>" (editor) and "Mwandishi: <name>" (author), the Kiswahili credit lines.
EDITOR_RE = re.compile(r"^\s*(?:Mhariri|Edited\s+by|Redaktion)\s*:\s*(?P<names>.{2,80}?)\s*$", re.IGNORECASE)
AUTHOR_LINE_RE = re.compile(r"^\s*(?:Mwandishi|Waandishi)\s*:\s*(?P<names>.+?)\s*$", re.IGNORECASE)

_NAME_SPLIT_RE = re.compile(r"\s*(?:,|/|;|\bna\b|\band\b|\bund\b|&)\s*")


def collapse_whitespace(text: str) -> str:
    """One space for every run of whitespace (NBSP included), no space at either end."""
    return _SPACE_RE.sub(" ", text).strip()


def split_names(names: str) -> list[str]:
    """Split a credit line's names: "Daniel Gakuba, Iddi Ssessanga" -> two names."""
    return [name for name in (part.strip(" .") for part in _NAME_SPLIT_RE.split(names)) if name]


def agencies_of(line: str) -> list[str] | None:
    """The agencies named by an agencies line, or None when the line is not one."""
    match = AGENCIES_RE.match(line)
    if match is None:
        return None
    names = [name.strip() for name in match.group("names").split(",")]
    # An agencies line names short agency codes, not a sentence in brackets.
    if not names or any(len(name.split()) > 3 for name in names):
        return None
    return [name for name in names if name]


def is_read_more(line: str) -> bool:
    return READ_MORE_RE.match(line) is not None


def dedupe(values: list[str]) -> list[str]:
    """Keep the first of equal values, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for value in values:
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out
