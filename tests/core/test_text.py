"""dwnews.text: the line rules the page objects use (Kiswahili examples first)."""

from __future__ import annotations

import pytest

from dwnews.core.text import (
    BOILERPLATE_RULES,
    agencies_of,
    clean_body,
    clean_inline,
    clean_paragraphs,
    clean_record,
    collapse_whitespace,
    is_kiswahili,
    is_read_more,
    split_names,
)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("(AP, DPA, Reuters)", ["AP", "dpa", "Reuters"]),
        ("(AFP, Reuters)", ["AFP", "Reuters"]),
        ("jp/ch (dpa, afp)", ["dpa", "AFP"]),
        ("ap/rtr (Reuters)", ["Reuters"]),
        ("Rais Ruto alisema (kwa mujibu wa Reuters) kwamba mazungumzo yataendelea.", None),
        ("(Hii ni sentensi ndefu ndani ya mabano, ambayo si orodha ya mashirika)", None),
    ],
)
def test_agencies_line(line: str, expected: list[str] | None) -> None:
    assert agencies_of(line) == expected


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Soma pia: Rais Samia akutana na viongozi wa upinzani", True),
        ("Soma zaidi: Uchaguzi wa Kenya", True),
        ("Read more: Recognizing Germany colonial crimes", True),
        ("Mehr zum Thema: Wahl in Russland", True),
        ("Wananchi wengi walisoma pia taarifa hiyo kwenye magazeti.", False),
    ],
)
def test_read_more_lines(line: str, expected: bool) -> None:
    assert is_read_more(line) is expected


def test_whitespace_and_names() -> None:
    assert collapse_whitespace("  Ng'wanza\u00a0na\u2009Mwanza \n kesho ") == "Ng'wanza na Mwanza kesho"
    # every Unicode space DW's editor leaves behind is one space; zero-width characters are no
    # space (normalize_chars removes them), so they never split a word
    for space in "\u00a0\u2000\u2007\u200a\u202f\u205f\u3000\t\r\x0b\x0c\x1c":
        assert collapse_whitespace(f" Dodoma{space}{space}Tanzania{space}") == "Dodoma Tanzania"
    assert collapse_whitespace("Dodo\u200bma\u2060 Tanzania") == "Dodo\u200bma\u2060 Tanzania"
    assert split_names("Daniel Gakuba, Iddi Ssessanga") == ["Daniel Gakuba", "Iddi Ssessanga"]
    assert split_names("Saumu Mwasimba na Josephat Charo") == ["Saumu Mwasimba", "Josephat Charo"]


# ----- the cleaning rules: (raw paragraph, expected paragraph or None when removed), Kiswahili first


CLEANING_TABLE = [
    # apostrophes inside Kiswahili words survive, curly ones become the ASCII apostrophe
    ("Wafugaji wa ng'ombe wa Ng'wanza walivuka ng'ambo.", "Wafugaji wa ng'ombe wa Ng'wanza walivuka ng'ambo."),
    (
        "Wafugaji wa ng\u2019ombe wa Ng\u2019wanza walivuka ng\u2019ambo.",
        "Wafugaji wa ng'ombe wa Ng'wanza walivuka ng'ambo.",
    ),
    # DW Kiswahili's two apostrophes are a quotation mark
    (
        "Urusi inapaswa kufahamu wazi,'' alisisitiza Lim.",
        'Urusi inapaswa kufahamu wazi," alisisitiza Lim.',
    ),
    ("''Tutashinda uchaguzi huu,'' alisema Odinga.", '"Tutashinda uchaguzi huu," alisema Odinga.'),
    ("\u201cTutashinda,\u201d alisema. \u201eNdiyo\u201c \u00absawa\u00bb", '"Tutashinda," alisema. "Ndiyo" "sawa"'),
    ("Mzee alisema ''ng'ombe wangu'' wamepotea.", 'Mzee alisema "ng\'ombe wangu" wamepotea.'),
    # invisible characters and odd spaces
    (
        "Ki\u00adswa\u00adhi\u00adli\u200b ni lu\u200dgha\ufeff ya\u00a0Afrika\u2009Mashariki.",
        "Kiswahili ni lugha ya Afrika Mashariki.",
    ),
    ("Rais\u200e  Samia\u202f Suluhu \t Hassan  amezungumza", "Rais Samia Suluhu Hassan amezungumza"),
    ("Mji wa Mombasa", "Mji wa Mombasa"),  # NFC: decomposed forms are composed (no change for ASCII)
    ("Cafe\u0301 ya Zanzibar", "Caf\u00e9 ya Zanzibar"),
    # boilerplate removed, one row per rule
    ("Nenda kwenye maudhui", None),
    ("2. Nenda kwenye orodha kuu", None),
    ("Nenda tovuti zaidi za DW", None),
    (
        "Kiongozi wa Korea Kaskazini Kim Jong Un na Rais Vladimir Putin wa Urusi"
        "Picha: Mikhail Metzel/dpa/picture alliance",
        None,
    ),
    ("Russland | Kim Jong Un und Vladimir Putin am Kosmodrom Wostotschny", None),
    ("S\u00fcdkorea  Lim Soo-suk  Iran", None),
    ("Kenia  Wahlen  William Ruto", None),
    ("Soma pia: Rais Ruto ahutubia bunge", None),
    ("Soma zaidi: Uchaguzi mkuu wa Tanzania", None),
    ("Sikiliza sauti 02:45", None),
    ("Sikiliza sauti", None),
    ("Tazama video 01:30", None),
    ("https://p.dw.com/p/4WK2B", None),
    ("   ", None),
    # look-alikes that are article text and stay
    ("Hofu ya Korea Kusini", "Hofu ya Korea Kusini"),
    ("Sikiliza sauti ya wananchi, alisema mbunge huyo.", "Sikiliza sauti ya wananchi, alisema mbunge huyo."),
    ("Picha za tukio hilo zilisambaa mitandaoni.", "Picha za tukio hilo zilisambaa mitandaoni."),
]


@pytest.mark.parametrize(("raw", "expected"), CLEANING_TABLE)
def test_cleaning_table(raw: str, expected: str | None) -> None:
    result = clean_paragraphs([raw])
    assert result.paragraphs == ([] if expected is None else [expected])
    if expected is None:
        assert len(result.removed) == 1


def test_every_boilerplate_rule_has_a_reason_and_a_row() -> None:
    removed_by = set()
    for raw, expected in CLEANING_TABLE:
        if expected is None:
            removed_by.update(clean_paragraphs([raw]).removed)
    for name, _, reason in BOILERPLATE_RULES:
        assert reason and name in removed_by, name


def test_credit_lines_move_to_their_fields() -> None:
    body = "Aya ya kwanza.\n\nAya ya pili.\n\nMhariri: Mohammed Khelef\n\n(AFP, Reuters)"
    result = clean_body(body)
    assert result.paragraphs == ["Aya ya kwanza.", "Aya ya pili."]
    assert result.agencies == ["AFP", "Reuters"] and result.editors == ["Mohammed Khelef"]


def test_alt_text_rule_only_on_kiswahili_pages() -> None:
    german = "Russland | Kim Jong Un und Vladimir Putin am Kosmodrom Wostotschny"
    assert clean_paragraphs([german], kiswahili=False).paragraphs == [german]


def test_clean_record_applies_one_convention_to_title_teaser_and_body() -> None:
    record = {
        "language": "sw",
        "title": "\u2018Hatutarudi nyuma\u2019 \u2013 Rais",
        "teaser": "Rais alisema ''hatutarudi nyuma''.",
        "body": "Aya ya ng\u2019ombe.\n\nSikiliza sauti 02:45\n\nHofu ya ''vita''\n\n(AP, DPA)",
        "subheadings": ["Hofu ya ''vita''", "Sikiliza sauti 02:45"],
        "topics": ["Urusi", "Urusi"],
        "authors": [],
        "editors": [],
        "agencies": [],
        "images": [{"url": "u", "caption": "Picha ya\u00a0Rais", "credit": " AP "}],
        "word_count": 0,
    }
    cleaned, removed = clean_record(record)
    assert cleaned["title"] == "'Hatutarudi nyuma' \u2013 Rais"
    assert cleaned["teaser"] == 'Rais alisema "hatutarudi nyuma".'
    assert cleaned["body"] == 'Aya ya ng\'ombe.\n\nHofu ya "vita"'
    assert cleaned["subheadings"] == ['Hofu ya "vita"']
    assert cleaned["topics"] == ["Urusi"] and cleaned["agencies"] == ["AP", "dpa"]
    assert cleaned["images"] == [{"url": "u", "caption": "Picha ya Rais", "credit": "AP"}]
    assert cleaned["word_count"] == 6
    assert sorted(removed) == ["agencies_line", "widget_label"]


def test_clean_inline_keeps_none_safe() -> None:
    assert clean_inline(None) == ""


def test_the_language_identifier_reads_a_bounded_text() -> None:
    """A 3 MB paragraph cost the site-check 478 MB: only the first DWNEWS_LANGID_MAX_CHARS are read."""
    kiswahili = "Rais wa Kenya amesema serikali itaendelea na mazungumzo na upinzani wiki ijayo. " * 30
    german = "Die Bundesregierung hat am Mittwoch neue Regeln beschlossen und will sie bald umsetzen. " * 40_000
    assert is_kiswahili(kiswahili + german), "judged on its first 2,000 characters: Kiswahili"
    assert not is_kiswahili(german + kiswahili), "judged on its first 2,000 characters: German"
