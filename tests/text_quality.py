"""The text-quality measurements of the cleaning: false drops of real Kiswahili text, misses of image
text and credit lines. Shared by tests/test_text_quality.py (which guards the figures) and
bench/text_quality.py (which prints the table in bench/README.md, before and after).

Every input is real or written as DW Kiswahili writes: the paragraphs of every Kiswahili fixture's
expected record (real DW markup with Kiswahili text, the seed among them), the short Kiswahili
sentences naming German places, clubs and politicians in tests/fixtures/text-quality/, the image
alt texts and captions of every real DW page we hold, and the credit lines of real DW pages of each
edition in tests/fixtures/dw-credit-lines/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lxml.html

from dwnews.text import clean_paragraphs, collapse_whitespace, pop_credit_lines

TESTS = Path(__file__).parent
SITE = TESTS / "site"
REFERENCE_PAGES = TESTS / "fixtures" / "dw-reference" / "pages"
SENTENCES = TESTS / "fixtures" / "text-quality" / "kiswahili_german_names.txt"
CREDIT_LINES = TESTS / "fixtures" / "dw-credit-lines" / "lines.txt"
A_CAPTION = "Wananchi wakisubiri matokeo ya uchaguzi mjini NairobiPicha: Simon Maina/AFP"

#: drops(paragraphs, before_caption) -> the paragraphs the cleaning removed
Dropper = Callable[[list[str], bool], list[str]]


def kiswahili_paragraphs() -> list[str]:
    """Every paragraph of every Kiswahili fixture's expected (cleaned) body: real article text."""
    found: list[str] = []
    for path in sorted((SITE / "sw").glob("a-*.expected.json")):
        record = json.loads(path.read_text("utf-8"))
        found += [p for p in str(record.get("body") or "").split("\n\n") if p.strip()]
        found += [record["teaser"]] if record.get("teaser") else []
    return found


def german_name_sentences() -> list[str]:
    return [line for line in SENTENCES.read_text("utf-8").splitlines() if line.strip() and not line.startswith("#")]


def image_texts() -> tuple[list[str], list[str]]:
    """The alt texts and the captions (credit included, as a reader view shows them) of every
    image of the real DW pages we hold (the mirror's pages, the reference pages)."""
    alts: list[str] = []
    captions: list[str] = []
    for path in sorted([*SITE.glob("*/*.html"), *REFERENCE_PAGES.glob("*.html")]):
        tree = lxml.html.parse(str(path)).getroot()
        for alt in tree.xpath("//img/@alt"):
            text = collapse_whitespace(str(alt))
            if len(text) > 3 and text not in alts:
                alts.append(text)
        for caption in tree.xpath("//figcaption"):
            text = collapse_whitespace(caption.text_content())
            if len(text) > 3 and text not in captions:
                captions.append(text)
    return alts, captions


def credit_lines() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(language, line) of real credit lines, and of real body sentences with a colon."""
    credit_list: list[tuple[str, str]] = []
    bodies: list[tuple[str, str]] = []
    if not CREDIT_LINES.exists():
        return credit_list, bodies
    for line in CREDIT_LINES.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] == "body":
            bodies.append((parts[1], parts[2]))
        elif len(parts) == 2 and not line.startswith("#"):
            credit_list.append((parts[0], parts[1]))
    return credit_list, bodies


def current_drops(paragraphs: list[str], before_caption: bool) -> list[str]:
    """What today's cleaning (a text copy, no markup) removes of these paragraphs, each judged on
    its own, or each followed by an image caption as a reader view prints it."""
    dropped = []
    for paragraph in paragraphs:
        given = [paragraph, A_CAPTION] if before_caption else [paragraph]
        kept = clean_paragraphs(given, kiswahili=True, credit_lines=False).paragraphs
        if collapse_whitespace(paragraph) not in kept:
            dropped.append(paragraph)
    return dropped


def credit_misses(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Credit lines left in the body by today's rules (one line at the end of a body)."""
    missed = []
    for language, line in lines:
        body = ["Aya ya kwanza ya habari.", line]
        found = pop_credit_lines(body)
        if len(body) != 1 or not found.removed:
            missed.append((language, line))
    return missed


def table(drops: Dropper, credit_miss: Callable[[list[tuple[str, str]]], list[Any]] = credit_misses) -> dict[str, Any]:
    """Every figure of the text-quality table for one version of the cleaning."""
    paragraphs = kiswahili_paragraphs()
    sentences = german_name_sentences()
    alts, captions = image_texts()
    credit_list, bodies = credit_lines()
    result: dict[str, Any] = {
        "kiswahili_paragraphs": len(paragraphs),
        "false_drops_paragraphs": len(drops(paragraphs, False)),
        "false_drops_paragraphs_before_caption": len(drops(paragraphs, True)),
        "german_name_sentences": len(sentences),
        "false_drops_sentences": len(drops(sentences, False)),
        "false_drops_sentences_before_caption": len(drops(sentences, True)),
        "alt_texts": len(alts),
        "missed_alt_texts": len(alts) - len(drops(alts, False)),
        "missed_alt_texts_before_caption": len(alts) - len(drops(alts, True)),
        "captions": len(captions),
        "missed_captions": len(captions) - len(drops(captions, False)),
        "credit_lines": len(credit_list),
        "body_lines_with_colon": len(bodies),
    }
    by_language: dict[str, list[int]] = {}
    missed = credit_miss(credit_list)
    for language, _ in credit_list:
        by_language.setdefault(language, [0, 0])[0] += 1
    for language, _ in missed:
        by_language[language][1] += 1
    result["credit_lines_by_language"] = by_language
    result["missed_credit_lines"] = len(missed)
    result["false_credit_lines"] = len(bodies) - len(credit_miss(bodies))
    return result


def page_image_text_misses() -> tuple[int, int]:
    """(image texts, missed): each Kiswahili page's own alt texts and captions put into its body as
    paragraphs (as a page whose markup printed them there would be read): how many stay."""
    from dwnews.encoding import decode_html
    from dwnews.pages.article import ArticlePage
    from dwnews.text import clean_record

    total = missed = 0
    for path in sorted((SITE / "sw").glob("a-*.html")):
        html, _ = decode_html(path.read_bytes(), "utf-8")
        tree = lxml.html.fromstring(html)
        own = [collapse_whitespace(str(alt)) for alt in tree.xpath("//img/@alt")]
        own += [collapse_whitespace(c.text_content()) for c in tree.xpath("//figcaption")]
        for text in dict.fromkeys(t for t in own if len(t) > 3):
            page = ArticlePage(f"https://www.dw.com/sw/x/{path.stem}", html)
            record = page.record()
            page.body.paragraphs.insert(1, text)
            cleaned, _ = clean_record(record, parts=page.body)
            total += 1
            missed += text in cleaned["body"].split("\n\n")
    return total, missed
