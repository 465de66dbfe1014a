"""Clean text is what the corpus is for: the cleaning never drops a real Kiswahili sentence, and its
misses of image text and credit lines are counted (the table in bench/README.md, "Text quality").
No timing here; tests/text_quality.py has the measurements."""

from __future__ import annotations

import pytest

from dwnews.core.text import clean_body, clean_paragraphs, clean_record, credit_line, is_kiswahili
from tests.helpers import (
    A_CAPTION,
    credit_lines,
    credit_misses,
    current_drops,
    german_name_sentences,
    image_texts,
    kiswahili_paragraphs,
    page_image_text_misses,
)

ISSUE_SENTENCES = [
    "Kansela Olaf Scholz akiwa Düsseldorf.",
    "Bayern München yaichapa Borussia Dortmund mabao 4-0.",
    "Mkutano ulifanyika mjini Münster.",
]


@pytest.mark.parametrize("sentence", ISSUE_SENTENCES)
def test_short_kiswahili_sentences_naming_german_places_and_people_stay(sentence: str) -> None:
    assert clean_paragraphs([sentence]).paragraphs == [sentence]
    assert clean_paragraphs([sentence, A_CAPTION]).paragraphs == [sentence], "even just before a caption"
    assert is_kiswahili(sentence)


def test_no_real_kiswahili_paragraph_is_dropped() -> None:
    paragraphs = kiswahili_paragraphs()
    assert len(paragraphs) > 60
    assert current_drops(paragraphs, before_caption=False) == []
    assert current_drops(paragraphs, before_caption=True) == []


def test_no_kiswahili_sentence_naming_german_places_clubs_or_politicians_is_dropped() -> None:
    sentences = german_name_sentences()
    assert len(sentences) >= 300
    assert current_drops(sentences, before_caption=False) == []
    assert current_drops(sentences, before_caption=True) == []


def test_real_image_text_is_removed_by_its_form_and_language_in_a_text_copy() -> None:
    """Misses are counted, not zero: an alt text on its own line with no mark of an image (no ' | ',
    no keyword spacing, no caption after it) cannot be told from a short sentence without a word
    list. These bounds are today's figures (bench/README.md); a change that misses more fails."""
    alts, captions = image_texts()
    assert len(alts) >= 60 and len(captions) >= 20
    missed_before_caption = len(alts) - len(current_drops(alts, before_caption=True))
    assert missed_before_caption <= 6
    assert len(captions) - len(current_drops(captions, before_caption=False)) == 0, "'... Picha: credit'"
    for alt in ("Russland | Kim Jong Un und Vladimir Putin am Kosmodrom Wostotschny", "Südkorea  Lim Soo-suk  Iran"):
        assert clean_paragraphs([alt]).paragraphs == []


def test_a_paragraph_repeating_one_of_the_pages_image_texts_is_removed() -> None:
    total, missed = page_image_text_misses()
    assert total >= 20 and missed == 0


def test_a_kiswahili_paragraph_is_never_judged_by_the_language_on_a_page_with_markup() -> None:
    """On a page, only the page's own image texts are removed: the same Kiswahili line stays."""
    from dwnews.core.text import CleanText

    parts = CleanText(["Kansela Olaf Scholz akiwa Düsseldorf.", "Aya ya pili ya habari."])
    parts.image_texts = frozenset({"russland | kim jong un"})  # type: ignore[attr-defined]
    record, removed = clean_record({"language": "sw", "body": ""}, parts=parts)
    assert record["body"].startswith("Kansela Olaf Scholz") and "image_text" not in removed


@pytest.mark.parametrize(
    ("line", "role", "names", "agencies"),
    [
        ("Mwandishi: Saumu Mwasimba / afpe / ape / rtre", "author", ["Saumu Mwasimba"], ["AFP", "AP", "Reuters"]),
        ("Mhariri: Mohammed Khelef", "editor", ["Mohammed Khelef"], []),
        ("Mtayarishaji: Josephat Charo", "producer", ["Josephat Charo"], []),
        ("Kipindi: Maoni", "programme", ["Maoni"], []),
        ("Auteur : Kossivi Tiassou", "author", ["Kossivi Tiassou"], []),
        ("Edition : Fabien Nkot", "editor", ["Fabien Nkot"], []),
        ("Author: Julia Hitz (eg)", "author", ["Julia Hitz"], []),
    ],
)
def test_credit_lines_of_every_edition(line: str, role: str, names: list[str], agencies: list[str]) -> None:
    assert credit_line(line) == (role, names, agencies)


def test_sentences_with_a_colon_are_not_credit_lines() -> None:
    for sentence in (
        "Mwandishi wa habari alisema: tutaendelea kufuatilia.",
        "Mhariri: alisema kwamba gazeti lake litaendelea kuchapishwa licha ya vitisho vya serikali.",
        "Auteur : le président a déclaré que les élections auront lieu comme prévu en décembre prochain.",
    ):
        assert credit_line(sentence) is None


def test_real_credit_lines_of_each_edition_move_to_their_fields() -> None:
    credit_list, bodies = credit_lines()
    if not credit_list:
        pytest.skip("no real credit lines collected yet (tests/fixtures/dw-credit-lines/lines.txt)")
    assert credit_misses(credit_list) == []
    assert len(credit_misses(bodies)) == len(bodies), "a real sentence with a colon is no credit line"


def test_old_kiswahili_page_ends_and_german_skip_links() -> None:
    body = "\n\n".join(
        [
            "Inhalt",
            "Navigation",
            "Weitere Inhalte",
            "Metanavigation",
            "Suche",
            "Choose from 30 Languages",
            "Rais Kikwete amesema serikali itaendelea na mazungumzo.",
            "Kipindi: Maoni",
            "Mtayarishaji: Josephat Charo",
            "Mwandishi: Saumu Mwasimba / afpe / rtre",
            "Mhariri: Mohammed Khelef",
        ]
    )
    result = clean_body(body)
    assert result.paragraphs == ["Rais Kikwete amesema serikali itaendelea na mazungumzo."]
    assert result.authors == ["Saumu Mwasimba", "Josephat Charo"] and result.editors == ["Mohammed Khelef"]
    assert result.agencies == ["AFP", "Reuters"]


def test_agencies_have_one_spelling() -> None:
    one, _ = clean_record({"language": "sw", "body": "Aya.", "agencies": ["dpa", "afp"]})
    two, _ = clean_record({"language": "sw", "body": "Aya.", "agencies": ["AFP", "AP", "DPA", "rtre"]})
    assert one["agencies"] == ["dpa", "AFP"] and two["agencies"] == ["AFP", "AP", "dpa", "Reuters"]
