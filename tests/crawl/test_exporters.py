"""The spreadsheet CSV exporter: fixed columns, joined lists, flattened images, no formulas."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from dwnews.core.record import Article
from dwnews.crawl.exporters import CSV_COLUMNS, LIST_SEPARATOR, SpreadsheetCsvItemExporter
from dwnews.crawl.feeds import AtomicFileFeedStorage
from dwnews.mirror import MirrorServer
from dwnews.store.feedfiles import short_ids_in_feed
from tests.helpers import run_crawl


def article(**overrides: object) -> Article:
    values: dict[str, object] = {
        "short_id": "4WK2B",
        "short_url": "https://p.dw.com/p/4WK2B",
        "content_id": 66808855,
        "url": "https://www.dw.com/sw/rais-putin-akubali-mwaliko-wa-kim-jong-un/a-66808855",
        "language": "sw",
        "title": "Rais Putin akubali mwaliko wa Kim Jong Un",
        "body": "Aya ya kwanza.\n\nHofu ya Korea Kusini\n\nAya ya mwisho.",
        "subheadings": ["Hofu ya Korea Kusini"],
        "topics": ["Urusi", "Korea Kaskazini"],
        "agencies": ["AP", "DPA", "Reuters"],
        "images": [
            {"url": "https://static.dw.com/image/1_6.jpg", "caption": "Kim na Putin", "credit": "Yonhap"},
            {"url": "https://static.dw.com/image/2_6.jpg", "caption": None, "credit": "AP"},
        ],
        "word_count": 9,
    }
    values.update(overrides)
    return Article(**values)  # type: ignore[arg-type]


def export(*items: Article, encoding: str = "utf-8") -> tuple[bytes, list[dict[str, str]]]:
    buffer = io.BytesIO()
    exporter = SpreadsheetCsvItemExporter(buffer, encoding=encoding)
    exporter.start_exporting()
    for item in items:
        exporter.export_item(item)
    exporter.finish_exporting()
    raw = buffer.getvalue()
    return raw, list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_columns_lists_and_images() -> None:
    raw, rows = export(article(), article(short_id="5FLOV", images=[], topics=[]))
    assert raw.startswith(b"short_id,"), "UTF-8 without a byte order mark, as Scrapy writes CSV"
    header = raw.decode("utf-8").splitlines()[0].split(",")
    assert tuple(header) == CSV_COLUMNS
    first, second = rows
    assert first["topics"] == "Urusi | Korea Kaskazini" and LIST_SEPARATOR == " | "
    assert first["agencies"] == "AP | DPA | Reuters"
    assert first["image_urls"] == "https://static.dw.com/image/1_6.jpg | https://static.dw.com/image/2_6.jpg"
    assert first["image_captions"] == "Kim na Putin | " and first["image_credits"] == "Yonhap | AP"
    assert first["body"] == "Aya ya kwanza.\n\nHofu ya Korea Kusini\n\nAya ya mwisho."
    assert first["content_id"] == "66808855" and first["published"] == ""
    assert second["image_urls"] == "" and second["topics"] == ""


def test_python_reads_the_first_column_as_short_id_and_excel_gets_its_mark_when_asked() -> None:
    raw, _ = export(article())
    assert next(csv.reader(io.StringIO(raw.decode("utf-8"))))[0] == "short_id"
    marked, rows = export(article(), encoding="utf-8-sig")
    assert marked.startswith(b"\xef\xbb\xbfshort_id,") and rows[0]["short_id"] == "4WK2B"


def test_a_list_of_empty_values_is_an_empty_cell() -> None:
    images = [{"url": "https://static.dw.com/image/1_6.jpg", "caption": "Kim", "credit": None}] * 2
    _, rows = export(article(images=images))
    assert rows[0]["image_credits"] == "", "two images without credit: empty, not ' | '"
    assert rows[0]["image_captions"] == "Kim | Kim"
    assert not any("[" in value or "{" in value for row in rows for value in row.values())


def test_formula_cells_are_neutralized() -> None:
    _, rows = export(
        article(title='=HYPERLINK("http://x")', teaser="+255 ni msimbo", authors=["@mwandishi"], body="-- aya")
    )
    row = rows[0]
    assert row["title"] == '\'=HYPERLINK("http://x")'
    assert row["teaser"] == "'+255 ni msimbo"
    assert row["authors"] == "'@mwandishi"
    assert row["body"] == "'-- aya"
    assert row["short_id"] == "4WK2B"


@pytest.mark.e2e
def test_crawl_writes_json_and_csv_feeds(mirror: MirrorServer, tmp_path: Path) -> None:
    """`-O x.json` and `-O x.csv` through Scrapy's feed exports: same articles, loadable as they are."""
    args = ("-s", "DWNEWS_INCREMENTAL=False", "-O", str(tmp_path / "siasa.json"), "-O", str(tmp_path / "siasa.csv"))
    result = run_crawl(mirror.base_url, "politics", tmp_path, *args)
    assert result.returncode == 0, result.log[-2000:]
    as_json = json.loads((tmp_path / "siasa.json").read_text("utf-8"))
    with (tmp_path / "siasa.csv").open(encoding="utf-8", newline="") as handle:
        as_csv = list(csv.DictReader(handle))
    assert (
        sorted(r["short_id"] for r in as_json)
        == sorted(r["short_id"] for r in as_csv)
        == sorted(i["short_id"] for i in result.items)
    )
    by_id = {r["short_id"]: r for r in as_csv}
    for record in as_json:
        row = by_id[record["short_id"]]
        assert row["body"] == record["body"] and "\n\n" in row["body"]
        assert row["topics"] == " | ".join(record["topics"])
        assert row["image_urls"] == " | ".join(image["url"] for image in record["images"])
        assert row["word_count"] == str(record["word_count"])
    assert not list(tmp_path.glob("*.part"))


def test_a_fenced_feed_keeps_only_the_accepted_articles_in_every_format(tmp_path: Path) -> None:
    """Distributed mode: articles another worker took over are left out of a finished feed."""
    items = [article(), article(short_id="5FLOV", content_id=77538843)]
    for fmt, exporter_cls in (("jsonlines", None), ("json", None), ("csv", SpreadsheetCsvItemExporter)):
        target = tmp_path / f"feed.{fmt}"
        storage = AtomicFileFeedStorage(str(target), feed_options={"format": fmt, "overwrite": True})
        storage.prepare()  # locks the .part (no crawler: no ledger)
        part = storage.part
        assert part is not None
        if exporter_cls is not None:
            with part.open("wb") as handle:
                exporter = exporter_cls(handle, encoding="utf-8")
                exporter.start_exporting()
                for item in items:
                    exporter.export_item(item)
                exporter.finish_exporting()
        else:
            rows = [json.dumps({"short_id": i.short_id, "body": i.body}) for i in items]
            part.write_text("\n".join(rows) + "\n" if fmt == "jsonlines" else "[\n" + ",\n".join(rows) + "\n]")
        storage._keep_only({"5FLOV"})
        assert short_ids_in_feed(part, fmt) == ["5FLOV"], fmt


@pytest.mark.parametrize("fmt", ["jsonlines", "csv"])
def test_an_appended_feed_reads_back_and_fences_only_what_this_run_wrote(tmp_path: Path, fmt: str) -> None:
    """`-o`: the records already in the file are neither read back as this run's (they would be
    recorded as exported by it) nor left out by the fence (they were another run's to keep)."""
    target = tmp_path / f"feed.{fmt}"
    old, new = [article(short_id="OLD01")], [article(), article(short_id="5FLOV", content_id=77538843)]

    def written(items: list[Article]) -> bytes:
        if fmt == "csv":
            buffer = io.BytesIO()
            exporter = SpreadsheetCsvItemExporter(buffer, encoding="utf-8")
            exporter.start_exporting()
            for item in items:
                exporter.export_item(item)
            exporter.finish_exporting()
            return buffer.getvalue()
        return b"".join(json.dumps({"short_id": i.short_id, "body": i.body}).encode() + b"\n" for i in items)

    target.write_bytes(written(old))
    storage = AtomicFileFeedStorage(str(target), feed_options={"format": fmt, "overwrite": False})
    storage.prepare()
    assert storage.output is not None and storage.part is not None
    with storage.output.handle() as handle:
        handle.write(written(new))
    with storage.output.read_back() as back:
        assert short_ids_in_feed_handle(back, fmt) == ["4WK2B", "5FLOV"]
    storage._keep_only({"5FLOV"})
    assert storage.part.read_bytes().startswith(written(old)), "the earlier runs' records stay, byte for byte"
    if fmt == "csv":  # Scrapy's CSV exporter starts what it appends with its header row again
        rows = list(csv.reader(io.StringIO(storage.part.read_text("utf-8"), newline="")))
        assert [row[0] for row in rows] == ["short_id", "OLD01", "short_id", "5FLOV"]
    else:
        assert short_ids_in_feed(storage.part, fmt) == ["OLD01", "5FLOV"]
    storage.output.abort()


def short_ids_in_feed_handle(handle: io.BufferedIOBase, fmt: str) -> list[str]:
    from dwnews.store.feedfiles import short_ids_in_file

    return short_ids_in_file(handle, fmt)  # type: ignore[arg-type]
