"""Pure text helpers shared by the page objects: whitespace and boilerplate line rules.

Each rule carries a one-line reason. The Kiswahili corpus cleaning pipeline builds on these.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from dwnews.core.site import CREDIT_LABELS

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

_CREDIT_ROLE = {label.casefold(): role for role, labels in CREDIT_LABELS.items() for label in labels}
CREDIT_LINE_RE = re.compile(
    r"^\s*(?P<label>"
    + "|".join(re.escape(label) for label in sorted(_CREDIT_ROLE, key=len, reverse=True))
    + r")\s*:\s*(?P<names>[^:]{2,120}?)\s*\.?\s*$",
    re.IGNORECASE,
)

# DW's agency abbreviations (in credit lines, "Mwandishi: <name> / afpe / rtre", and agencies lines
# "(dpa, afp)") and the agency each stands for, written as the agency writes its own name.
AGENCY_NAMES = {
    # DW's own abbreviations, as real /sw/ credit lines print them ("Mwandishi: <name> / afpe / ape / rtre")
    # and as German items end ("jj/sti (dpa, afp, rtr)")
    "afpe": "AFP", "ape": "AP", "rtre": "Reuters", "rtr": "Reuters",
    # the agencies' own names, whatever the casing a page gives them ("DPA", "Afp")
    "afp": "AFP", "ap": "AP", "reuters": "Reuters", "dpa": "dpa", "kna": "KNA", "epd": "epd",
}  # fmt: skip


def agency_name(name: str) -> str:
    """An agency in one spelling: DW's abbreviation or any casing of its name -> its own name."""
    key = name.strip().strip(".").casefold()
    return AGENCY_NAMES.get(key, name.strip())


_NAME_SPLIT_RE = re.compile(r"\s*(?:,|/|;|\bna\b|\band\b|\bund\b|&)\s*")


def collapse_whitespace(text: str) -> str:
    """One space for every run of whitespace (NBSP included), no space at either end.

    ``str.split()`` splits on every character ``str.isspace()`` calls whitespace: the Unicode
    White_Space characters (NBSP, U+2000-U+200A, U+202F, U+205F, U+3000 among them) and the
    C0 separators U+001C-U+001F; a quarter of the cost of a regular expression doing the same.
    """
    return " ".join(text.split())


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
    return [agency_name(name) for name in names if name]


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
# Conventions (docs/text.md): text is Unicode NFC; quotation marks are the ASCII
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


# Anything normalize_chars would change but NFC: most paragraphs hold none of it.
_TO_NORMALIZE_RE = re.compile(
    "|".join(pattern.pattern for pattern in (_INVISIBLE_RE, _SINGLE_QUOTES_RE, _DOUBLE_QUOTES_RE, _APOSTROPHE_PAIR_RE))
)


def normalize_chars(text: str) -> str:
    """NFC, invisible format characters removed, quotes made consistent; newlines kept."""
    text = unicodedata.normalize("NFC", text)
    if _TO_NORMALIZE_RE.search(text) is None:
        return text
    text = _INVISIBLE_RE.sub("", text)
    text = _SINGLE_QUOTES_RE.sub("'", text)
    text = _DOUBLE_QUOTES_RE.sub('"', text)
    return _APOSTROPHE_PAIR_RE.sub('"', text)


def clean_inline(text: str | None) -> str:
    """One paragraph or a title: characters normalised, whitespace collapsed to single spaces."""
    return collapse_whitespace(normalize_chars(text or ""))


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
        # old /sw/ pages on www kept the German ones, as a list
        "inhalt",
        "navigation",
        "weitere inhalte",
        "metanavigation",
        "suche",
        "choose from 30 languages",
    }
)
# "... Picha: <credit>": a credit has no sentence end, but may hold initials ("DW/S. Khamis")
_PHOTO_LINE_RE = re.compile(r"(?:Picha|Bild|Image|Foto|Photo)\s*:\s*(?:[^.!?]|\.(?=\s*[A-Z])){2,140}$")
_WIDGET_RE = re.compile(
    r"^(?:sikiliza(?:\s+sauti)?|tazama\s+video|sikiliza\s+makala|shiriki|tuma|chapisha|nakili\s+kiungo|"
    r"audio\s+abspielen|video\s+abspielen|play\s+audio|play\s+video|share|link\s+kopieren|copy\s+link|"
    r"matangazo|anzeige|advertisement)"
    r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?(?:\s+dakika)?$",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)*", text.lower())


_KEYWORDS_RE = re.compile(r"\S {2,}\S")
_LOWER_WORD_RE = re.compile(r"(?<![\w'-])[^\W\d_A-Z][^\W\d_]*(?:'[^\W\d_]+)*", re.UNICODE)
#: how sure the language identifier must be that words are Kiswahili for a paragraph to stay
SWAHILI_CONFIDENCE = 0.5


@cache
def _language_detector() -> Any:
    """lingua's detector for the languages of DW's Kiswahili pages (loaded on first use: ~0.7 s)."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.SWAHILI, Language.GERMAN, Language.ENGLISH, Language.FRENCH, Language.PORTUGUESE
    ).build()


def swahili_confidence(text: str) -> float:
    """How sure lingua is that ``text`` is Kiswahili, 0..1, among the languages DW's pages mix."""
    from lingua import Language

    return float(_language_detector().compute_language_confidence(text, Language.SWAHILI))


#: characters of a text the language identifier reads (DWNEWS_LANGID_MAX_CHARS): a few sentences tell a
#: language, and lingua's cost grows with the text (a 3 MB paragraph took 478 MB)
LANGID_MAX_CHARS = 2000


def is_kiswahili(text: str, max_chars: int = LANGID_MAX_CHARS) -> bool:
    """Judged on the lower-case words when there are any: a sentence's verbs and function words
    carry its language, its names do not ("Kansela Olaf Scholz akiwa Düsseldorf." is Kiswahili).
    Only the first ``max_chars`` characters are read."""
    text = text[:max_chars]
    lower = [word for word in _LOWER_WORD_RE.findall(text) if not word[0].isupper()]
    return swahili_confidence(" ".join(lower) if lower else text) >= SWAHILI_CONFIDENCE


def has_image_text_form(raw: str, before_caption: bool) -> bool:
    """The form DW's image alt text takes in a text copy of a page: keywords joined by " | " or by
    double spaces ("Russland | Kim Jong Un und Vladimir Putin am Kosmodrom", "Südkorea  Lim Soo-suk
    Iran"), or the short line a reader view prints just before an image's "... Picha: <credit>"."""
    words = _words(raw)
    if not words or len(words) > 25:
        return False
    return " | " in raw or _KEYWORDS_RE.search(raw.replace("\u00a0", " ").strip()) is not None or before_caption


def looks_like_alt_text(raw: str, before_caption: bool = False) -> bool:
    """Image alt text in a text copy of a Kiswahili page: its form says image (see
    :func:`has_image_text_form`) and a language identifier says it is not Kiswahili. Never the
    language alone: a short Kiswahili sentence naming German places and people stays."""
    return has_image_text_form(raw, before_caption) and not is_kiswahili(collapse_whitespace(raw))


def image_text_key(text: str) -> str:
    """How an image's alt text or caption is compared with a paragraph: case and whitespace aside
    (a caption and its credit are printed with or without a space between them)."""
    return "".join(unicodedata.normalize("NFC", text).casefold().split()).strip(".")


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


def credit_line(line: str) -> tuple[str, list[str], list[str]] | None:
    """``(role, names, agencies)`` of a credit line ("Mwandishi: Saumu Mwasimba / afpe / rtre" ->
    author, [Saumu Mwasimba], [AFP, Reuters]), or None when the line is not one."""
    match = CREDIT_LINE_RE.match(line)
    if match is None:
        return None
    role = _CREDIT_ROLE[match.group("label").casefold()]
    names: list[str] = []
    agencies: list[str] = []
    given = re.sub(r"\s*\([a-z]{1,4}\)\s*$", "", match.group("names"))  # "Julia Hitz (eg)": the editor's initials
    for part in split_names(given):
        if part.casefold() in AGENCY_NAMES:
            agencies.append(AGENCY_NAMES[part.casefold()])
        else:
            names.append(part)
    # names are a few words each: a sentence after a colon is text, not a credit
    if role != "programme" and (not names or any(len(name.split()) > 5 for name in names)):
        return None
    return role, names, agencies


def pop_credit_lines(paragraphs: list[str], last_eligible: int | None = None) -> Credits:
    """Take the agencies and credit lines (:data:`dwnews.core.site.CREDIT_LABELS`) off the end of ``paragraphs``.

    DW items end with them in any order; each kind is taken once. ``last_eligible``: how many of the
    last paragraphs may be credit lines at all (the page object stops at a subheading).
    """
    found = Credits()
    taken: set[str] = set()
    limit = len(paragraphs) if last_eligible is None else last_eligible
    while paragraphs and limit > 0:
        last = paragraphs[-1]
        agencies = agencies_of(last)
        credit = credit_line(last) if agencies is None else None
        if agencies is not None and "agencies" not in taken:
            found.agencies = dedupe(agencies + found.agencies)
            rule = "agencies"
        elif credit is not None and credit[0] not in taken:
            role, names, credited = credit
            if role == "author":
                found.authors = dedupe(names + found.authors)
            elif role == "producer":
                found.authors = dedupe(found.authors + names)
            elif role == "editor":
                found.editors = names
            found.agencies = dedupe(found.agencies + credited)
            rule = role
        else:
            break
        taken.add(rule)
        found.removed.append({"agencies": "agencies_line", "author": "author_line"}.get(rule, f"{rule}_line"))
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


def clean_paragraphs(
    raw_paragraphs: list[str],
    kiswahili: bool = True,
    credit_lines: bool = True,
    image_texts: frozenset[str] | None = None,
) -> CleanText:
    """Clean a list of paragraphs: characters, whitespace, boilerplate, trailing credit lines.

    Image text is removed on structural evidence: ``image_texts`` (the page's image alt texts,
    captions and credits, as :func:`image_text_key` gives them) drops a paragraph that repeats one
    (``image_text``); in a Kiswahili text (``kiswahili``) a short paragraph in the form of DW's alt
    text that a language identifier says is not Kiswahili is dropped too (``alt_text``: the only
    judgement a text copy without markup allows). ``credit_lines`` False: the caller moved them
    out already (a page object knows which blocks are paragraphs and which headings; popping
    again here would use other rules).
    """
    kept: list[str] = []
    removed: list[str] = []
    normalized_all = [normalize_chars(raw) for raw in raw_paragraphs]
    texts = [collapse_whitespace(normalized) for normalized in normalized_all]  # once: every rule reads it
    captions = [_PHOTO_LINE_RE.search(text) is not None for text in texts]
    for index, (normalized, text) in enumerate(zip(normalized_all, texts, strict=True)):
        rule = next((name for name, test, _ in BOILERPLATE_RULES if test(normalized, text)), None)
        if rule is None and image_texts and image_text_key(text) in image_texts:
            rule = "image_text"
        before_caption = index + 1 < len(captions) and captions[index + 1]
        if rule is None and kiswahili and text and looks_like_alt_text(normalized, before_caption):
            rule = "alt_text"
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
        image_texts = getattr(parts, "image_texts", None)
        body = clean_paragraphs(parts.paragraphs, kiswahili=kiswahili, credit_lines=False, image_texts=image_texts)
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
    out["agencies"] = dedupe([agency_name(name) for name in out["agencies"] or body.agencies])
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
