"""Text quality of the cleaning: false drops of real Kiswahili text, misses of image text and credit
lines, for the cleaning before the issue-15 change (``--before``, a commit) and now.

    python3 bench/text_quality.py [--before 634371e]

The inputs and the measurements are tests/helpers.py's (tests/core/test_text_quality.py guards the
figures of today's cleaning, ``dwnews/core/text.py``); "before" runs the same measurements with the
cleaning module as it was at the ``--before`` commit (``dwnews/text.py`` before the package was split
into layers, ``dwnews/core/text.py`` after). No timing: a second or two.
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from common import ROOT, md_table, save, verdict

sys.path.insert(0, str(ROOT))

try:  # the measurements moved from tests/text_quality.py into tests/helpers.py with the tests' restructure
    from tests import helpers as text_quality
except ImportError:
    from tests import text_quality  # type: ignore[no-redef]

BEFORE = "634371e"  # the last commit of dwnews/text.py before structural image text and credit labels


TEXT_PATHS = ("dwnews/text.py", "dwnews/core/text.py")  # where the cleaning lived, oldest first


def old_text_module(commit: str) -> ModuleType:
    for text_path in TEXT_PATHS:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{text_path}"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if shown.returncode == 0:
            source = shown.stdout
            break
    else:
        raise SystemExit(f"--before {commit}: no {' or '.join(TEXT_PATHS)} at that commit ({shown.stderr.strip()})")
    path = Path(tempfile.mkdtemp()) / "text_before.py"
    path.write_text(source, "utf-8")
    spec = importlib.util.spec_from_file_location("text_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["text_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def measure_before(old: ModuleType) -> dict[str, Any]:
    def drops(paragraphs: list[str], before_caption: bool) -> list[str]:
        dropped = []
        for paragraph in paragraphs:
            given = [paragraph, text_quality.A_CAPTION] if before_caption else [paragraph]
            kept = old.clean_paragraphs(given, kiswahili=True, credit_lines=False).paragraphs
            if old.collapse_whitespace(paragraph) not in kept:
                dropped.append(paragraph)
        return dropped

    def credit_miss(lines: list[tuple[str, str]]) -> list[tuple[str, str]]:
        missed = []
        for language, line in lines:
            body = ["Aya ya kwanza ya habari.", line]
            found = old.pop_credit_lines(body)
            if len(body) != 1 or not found.removed:
                missed.append((language, line))
        return missed

    return text_quality.table(drops, credit_miss)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--before",
        default=BEFORE,
        help="the commit whose cleaning (dwnews/text.py or dwnews/core/text.py) is 'before' (default %(default)s)",
    )
    args = parser.parse_args()
    before = measure_before(old_text_module(args.before))
    after = text_quality.table(text_quality.current_drops)
    pages_total, pages_missed = text_quality.page_image_text_misses()

    def pair(key: str) -> list[Any]:
        return [before[key], after[key]]

    rows = [
        ["false drops: real Kiswahili paragraphs (every Kiswahili fixture's body and teaser), each alone",
         after["kiswahili_paragraphs"], *pair("false_drops_paragraphs")],
        ["false drops: the same, each just before an image caption",
         after["kiswahili_paragraphs"], *pair("false_drops_paragraphs_before_caption")],
        ["false drops: short Kiswahili sentences naming German places, clubs, politicians, each alone",
         after["german_name_sentences"], *pair("false_drops_sentences")],
        ["false drops: the same, each just before an image caption",
         after["german_name_sentences"], *pair("false_drops_sentences_before_caption")],
        ["misses: real DW image alt texts (de, en, sw pages), each alone in a text copy",
         after["alt_texts"], *pair("missed_alt_texts")],
        ["misses: the same, each just before its caption in a text copy",
         after["alt_texts"], *pair("missed_alt_texts_before_caption")],
        ["misses: real DW captions with their credit ('... Picha: DW/S. Khamis'), in a text copy",
         after["captions"], *pair("missed_captions")],
        ["misses: a Kiswahili page's own alt texts and captions as body paragraphs (structural)",
         pages_total, "n/a", pages_missed],
        ["misses: real credit lines of DW's editions",
         after["credit_lines"], *pair("missed_credit_lines")],
        ["false credit lines: real body sentences with a colon taken for credits",
         after["body_lines_with_colon"], *pair("false_credit_lines")],
    ]  # fmt: skip
    languages = sorted(after["credit_lines_by_language"])
    by_language = [
        [
            language,
            after["credit_lines_by_language"][language][0],
            before["credit_lines_by_language"].get(language, [0, 0])[1],
            after["credit_lines_by_language"][language][1],
        ]
        for language in languages
    ]
    false_drops = sum(
        after[k]
        for k in (
            "false_drops_paragraphs",
            "false_drops_paragraphs_before_caption",
            "false_drops_sentences",
            "false_drops_sentences_before_caption",
        )
    )
    md = [
        f"### Text quality (before: dwnews/text.py at {args.before}; after: this checkout)",
        "",
        md_table(["measure", "items", "before", "after"], rows),
        "",
        md_table(["credit lines by edition", "lines", "missed before", "missed after"], by_language),
        "",
        md_table(
            ["goal", "measured", "verdict"],
            [["0 false drops of real Kiswahili text", f"{false_drops} false drops", verdict(false_drops == 0)]],
        ),
    ]
    save("text_quality", {"before": before, "after": after, "pages": [pages_total, pages_missed]}, "\n".join(md))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
