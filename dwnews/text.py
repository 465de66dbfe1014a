"""Pure text helpers shared by the page objects: whitespace and boilerplate line rules.

Each rule carries a one-line reason. The Kiswahili corpus cleaning pipeline builds on these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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


# ----- Kiswahili corpus cleaning ----------------------------------------------------------------
#
# Conventions (README "Text conventions"): text is Unicode NFC; quotation marks are the ASCII
# double quote ("), written by DW Kiswahili as two apostrophes ('') or typographic quotes;
# apostrophes, in Kiswahili words such as ng'ombe or in quotes inside quotes, are the ASCII
# apostrophe ('). Paragraphs are separated by one blank line.

# Soft hyphen, zero-width space/joiners, word joiner, BOM, bidi marks and the other invisible
# format characters (Unicode category Cf): they break tokenisers and look like nothing.
_INVISIBLE_RE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]"
)
_DOUBLE_QUOTES_RE = re.compile("[\u201c\u201d\u201e\u201f\u00ab\u00bb\u2033\u301d\u301e\u301f\uff02]|``")
_SINGLE_QUOTES_RE = re.compile("[\u2018\u2019\u201a\u201b\u02bc\u2032\u00b4\u2039\u203a\uff07]")
# Two apostrophes are DW Kiswahili's quotation mark; three or more are a typing slip for one.
_APOSTROPHE_PAIR_RE = re.compile("'{2,}")
_LINE_SPACE_RE = re.compile(r"[^\S\n]+|[\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def normalize_chars(text: str) -> str:
    """NFC, invisible format characters removed, quotes made consistent; newlines kept."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE_RE.sub("", text)
    text = _SINGLE_QUOTES_RE.sub("'", text)
    text = _DOUBLE_QUOTES_RE.sub('"', text)
    return _APOSTROPHE_PAIR_RE.sub('"', text)


def clean_inline(text: str | None) -> str:
    """One paragraph or a title: characters normalised, whitespace collapsed to single spaces."""
    return collapse_whitespace(normalize_chars(text or ""))


# Kiswahili function words: a real Kiswahili paragraph of more than a few words has some.
_SWAHILI_WORDS = frozenset(
    [
        "na",
        "wa",
        "ya",
        "kwa",
        "za",
        "la",
        "cha",
        "vya",
        "katika",
        "kuwa",
        "ni",
        "si",
        "hii",
        "hiyo",
        "huo",
        "hizo",
        "kwamba",
        "lakini",
        "pia",
        "kama",
        "baada",
        "kabla",
        "ambao",
        "ambayo",
        "ambaye",
        "ambazo",
        "amesema",
        "alisema",
        "wamesema",
        "hata",
        "bado",
        "zaidi",
    ]
)
_GERMAN_WORDS = frozenset(
    [
        "und",
        "der",
        "die",
        "das",
        "mit",
        "am",
        "im",
        "von",
        "zu",
        "auf",
        "für",
        "bei",
        "nach",
        "ein",
        "eine",
        "des",
        "dem",
        "den",
        "vor",
    ]
)
_SKIP_LINKS = frozenset(
    {
        "nenda kwenye maudhui",
        "nenda kwenye orodha kuu",
        "nenda tovuti zaidi za dw",
        "zum inhalt springen",
        "zur hauptnavigation springen",
        "zu weiteren angeboten der dw springen",
        "skip to content",
        "skip to main menu",
        "skip to more dw sites",
    }
)
_PHOTO_LINE_RE = re.compile(r"(?:Picha|Bild|Image|Foto|Photo)\s*:\s*[^.!?]{2,140}$")
_WIDGET_RE = re.compile(
    r"^(?:sikiliza(?:\s+sauti)?|tazama\s+video|sikiliza\s+makala|shiriki|tuma|chapisha|nakili\s+kiungo|"
    r"audio\s+abspielen|video\s+abspielen|play\s+audio|play\s+video|share|link\s+kopieren|copy\s+link|"
    r"matangazo|anzeige|advertisement)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+dakika)?$",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", text.lower())


def looks_like_alt_text(raw: str) -> bool:
    """DW's image alt text in a Kiswahili page: short, German or a keyword list, no Kiswahili.

    Alt text reads like "Russland | Kim Jong Un und Vladimir Putin am Kosmodrom" or
    "Südkorea  Lim Soo-suk  Iran" (keywords separated by '|' or double spaces).
    """
    words = _words(raw)
    if not words or len(words) > 25 or _SWAHILI_WORDS.intersection(words):
        return False
    german = bool(_GERMAN_WORDS.intersection(words)) or bool(re.search("[äöüß]", raw.lower()))
    # DW alt text strings keywords together with double spaces: "Kenia  Wahlen  William Ruto".
    spaced_keywords = bool(re.search(r"\S {2,}\S", raw.replace("\u00a0", " "))) and all(
        word[0].isupper() for word in raw.split()
    )
    return " | " in raw or german or spaced_keywords


# Each rule: (name, test on the paragraph (raw, and whitespace-collapsed), why it is not article text).
BOILERPLATE_RULES: list[tuple[str, Callable[[str, str], bool], str]] = [
    (
        "skip_link",
        lambda raw, text: re.sub(r"^\d+\.\s*", "", text).lower().strip(" .") in _SKIP_LINKS,
        "accessibility skip links ('Nenda kwenye maudhui') are page navigation",
    ),
    (
        "photo_line",
        lambda raw, text: _PHOTO_LINE_RE.search(text) is not None,
        "a caption ending in 'Picha: <credit>' belongs to its image, not the text",
    ),
    (
        "bare_url",
        lambda raw, text: re.fullmatch(r"https?://\S+", text) is not None,
        "a bare link (the short link box, a share URL) is page furniture, not a sentence",
    ),
    (
        "alt_text",
        lambda raw, text: looks_like_alt_text(raw),
        "image alt text, often German on the Kiswahili site, is not article text",
    ),
    (
        "read_more",
        lambda raw, text: is_read_more(text),
        "'Soma pia: ...' teases another article",
    ),
    (
        "widget_label",
        lambda raw, text: _WIDGET_RE.match(text) is not None,
        "audio/video player and share widget labels ('Sikiliza sauti 02:45') are page furniture",
    ),
]


@dataclass
class Credits:
    """What the credit lines that end a DW item said."""

    agencies: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # the rule name of each line taken


def pop_credit_lines(paragraphs: list[str], last_eligible: int | None = None) -> Credits:
    """Take the agencies, "Mhariri:" and "Mwandishi:" lines off the end of ``paragraphs``.

    DW items end with them in any order; each kind is taken once. ``last_eligible``: how many of the
    last paragraphs may be credit lines at all (the page object stops at a subheading).
    """
    found = Credits()
    limit = len(paragraphs) if last_eligible is None else last_eligible
    while paragraphs and limit > 0:
        last = paragraphs[-1]
        agencies = agencies_of(last)
        editor = EDITOR_RE.match(last)
        author = AUTHOR_LINE_RE.match(last)
        if agencies is not None and not found.agencies:
            found.agencies, rule = agencies, "agencies_line"
        elif editor is not None and not found.editors:
            found.editors, rule = split_names(editor.group("names")), "editor_line"
        elif author is not None and not found.authors:
            found.authors, rule = split_names(author.group("names")), "author_line"
        else:
            break
        found.removed.append(rule)
        paragraphs.pop()
        limit -= 1
    return found


@dataclass
class CleanText:
    """The cleaned paragraphs of a text and what was removed from it (rule name per paragraph)."""

    paragraphs: list[str]
    removed: list[str] = field(default_factory=list)
    agencies: list[str] = field(default_factory=list)
    editors: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def word_count(text: str) -> int:
    """Words of a text, as the record's ``word_count`` counts them (the one definition)."""
    return len(text.split())


def clean_paragraphs(raw_paragraphs: list[str], kiswahili: bool = True, credit_lines: bool = True) -> CleanText:
    """Clean a list of paragraphs: characters, whitespace, boilerplate, trailing credit lines.

    ``kiswahili`` turns on the alt-text rule (German text is only noise on a non-German page).
    ``credit_lines`` False: the caller moved them out already (a page object knows which blocks
    are paragraphs and which headings; popping again here would use other rules).
    """
    kept: list[str] = []
    removed: list[str] = []
    for raw in raw_paragraphs:
        normalized = normalize_chars(raw)
        text = collapse_whitespace(normalized)  # once: every rule reads it
        rule = next(
            (
                name
                for name, test, _ in BOILERPLATE_RULES
                if (kiswahili or name != "alt_text") and test(normalized, text)
            ),
            None,
        )
        if rule is None and not text:
            rule = "empty"
        if rule is not None:
            removed.append(rule)
            continue
        kept.append(text)
    if not credit_lines:
        return CleanText(kept, removed)
    found = pop_credit_lines(kept)
    removed += found.removed
    return CleanText(kept, removed, agencies=found.agencies, editors=found.editors, authors=found.authors)


def clean_body(body: str, kiswahili: bool = True) -> CleanText:
    """Clean a body whose paragraphs are separated by blank lines."""
    return clean_paragraphs(re.split(r"\n\s*\n", body or ""), kiswahili=kiswahili)


def clean_record(record: dict[str, Any], parts: CleanText | None = None) -> tuple[dict[str, Any], list[str]]:
    """The record with every text field cleaned, and the names of the rules that removed text.

    Body and teaser go through the paragraph rules; title, subheadings, names, topics and
    image captions through the character and whitespace rules. ``word_count`` follows the
    cleaned body. An empty ``body`` in the result means nothing of the article text was left.

    ``parts``: the body's paragraphs as the page object found them, credit lines already moved
    into their fields: cleaned paragraph by paragraph, never split again from the joined text.
    Without it (a record from elsewhere), the body text is split on blank lines.
    """
    out = dict(record)
    kiswahili = (record.get("language") or "sw") == "sw"
    if parts is not None:
        body = clean_paragraphs(parts.paragraphs, kiswahili=kiswahili, credit_lines=False)
    else:
        body = clean_body(str(record.get("body") or ""), kiswahili=kiswahili)
    teaser = clean_paragraphs([str(record.get("teaser") or "")], kiswahili=kiswahili)
    out["title"] = clean_inline(record.get("title")) or None
    out["teaser"] = teaser.text or None
    out["body"] = body.text
    kept = set(body.paragraphs)
    headings = getattr(parts, "subheadings", None) if parts is not None else None
    if headings is None:
        headings = record.get("subheadings") or []
    out["subheadings"] = [h for h in (clean_inline(h) for h in headings) if h in kept]
    for name in ("topics", "authors", "editors", "agencies"):
        out[name] = dedupe([clean_inline(value) for value in record.get(name) or []])
    out["agencies"] = out["agencies"] or body.agencies
    out["editors"] = out["editors"] or body.editors
    out["authors"] = out["authors"] or body.authors
    if out.get("category"):
        out["category"] = clean_inline(out["category"])
    out["images"] = [
        {
            "url": image.get("url"),
            "caption": clean_inline(image.get("caption")) or None,
            "credit": clean_inline(image.get("credit")) or None,
        }
        for image in record.get("images") or []
    ]
    out["word_count"] = word_count(body.text)
    return out, body.removed + [f"teaser_{rule}" for rule in teaser.removed if rule != "empty"]
