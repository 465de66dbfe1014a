#!/usr/bin/env python3
"""Build the loopback mirror of DW's Kiswahili service in tests/site/.

Every HTML page here is derived from a REAL DW page kept in
tests/fixtures/dw-reference/pages/ (markup structure, hashed class names and stable
hooks are kept; texts, ids, URLs, JSON-LD and embedded state are replaced with the
Kiswahili content defined in tests/site/content/).

    python tests/site/build_mirror.py            # (re)writes every generated file
    python tests/site/build_mirror.py --check    # fails if a file would change

Stdlib only. Output is deterministic (no clock, no randomness, sorted iteration).

Generated:
    tests/site/robots.txt
    tests/site/sw/s-<id>.html                       home + section pages (s-12762: teasers built by JavaScript)
    tests/site/sw/a-<id>.html, a-<id>.expected.json Kiswahili articles
    tests/site/{de,en}/a-<id>.html                  real pages, copied unchanged
Hand-written (not touched here):
    tests/site/{de,en}/a-<id>.expected.json         expectations for the real pages
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

HERE = Path(__file__).resolve().parent  # tests/site
REPO = HERE.parent.parent
REF_PAGES = REPO / "tests" / "fixtures" / "dw-reference" / "pages"
CONTENT = HERE / "content"

TPL_CURRENT = REF_PAGES / "de_2024-01-30_politics_a-68117411.html"
TPL_2026 = REF_PAGES / "en_2026-06-14_scripts-stripped_a-77538843.html"
TPL_LEGACY = REF_PAGES / "de_2023-04-28_legacy-layout_a-65464327.html"

# real pages served unchanged to the `article` spider: source file -> mirror path
REFERENCE_COPIES = {
    "de_2024-01-30_politics_a-68117411.html": "de/a-68117411.html",
    "de_2023-04-28_legacy-layout_a-65464327.html": "de/a-65464327.html",
    "en_2026-06-14_scripts-stripped_a-77538843.html": "en/a-77538843.html",
    "en_2019_legacy-layout_a-16863843.html": "en/a-16863843.html",
    "en_2020_legacy-layout_a-52060881.html": "en/a-52060881.html",
}

SITE = "https://www.dw.com"
HOME_PATH = "/sw/idhaa-ya-kiswahili/s-11588"
MACA = "sw-rss-sw-all-1119-xml-mrss"

# ---------------------------------------------------------------------------
# identity
# ---------------------------------------------------------------------------
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def short_id(content_id: int) -> str:
    """DW short link id: the content id in base 62, alphabet 0-9A-Za-z."""
    n = int(content_id)
    if n <= 0:
        raise ValueError(content_id)
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


assert short_id(66808855) == "4WK2B" and short_id(68117411) == "4boRv"
assert short_id(77538843) == "5FLOV" and short_id(65897191) == "4SUrv"


def short_url(content_id: int) -> str:
    return "https://p.dw.com/p/" + short_id(content_id)


# ---------------------------------------------------------------------------
# string surgery on the real markup (every edit must match exactly as expected)
# ---------------------------------------------------------------------------
class TemplateError(AssertionError):
    pass


def once(s: str, old: str, new: str, count: int = 1) -> str:
    n = s.count(old)
    if n != count:
        raise TemplateError(f"expected {count}x {old[:90]!r}, found {n}")
    return s.replace(old, new)


def resub(s: str, pattern: str, repl, count: int = 1, flags: int = 0) -> str:
    fn = repl if callable(repl) else (lambda m: repl)
    out, n = re.subn(pattern, fn, s, flags=flags)
    if n != count:
        raise TemplateError(f"expected {count}x /{pattern[:90]}/, found {n}")
    return out


def cut(s: str, start: str, end: str) -> tuple[str, str, str]:
    """Split s into (before start, start..end exclusive, end and after); start must be unique."""
    if s.count(start) != 1:
        raise TemplateError(f"start anchor not unique/absent: {start[:90]!r}")
    i = s.index(start)
    j = s.find(end, i + len(start))
    if j < 0:
        raise TemplateError(f"end anchor absent: {end[:90]!r}")
    return s[:i], s[i:j], s[j:]


def set_meta(s: str, key: str, value: str, count: int = 1) -> str:
    """Replace the content=/value= of every <meta name|property=key> (2026 pages use value=)."""
    pat = r'<meta\b[^>]*?\b(?:name|property)="' + re.escape(key) + r'"[^>]*>'

    def fix(m):
        return resub(m.group(0), r'\b(content|value)="[^"]*"', lambda mm: f'{mm.group(1)}="{attr(value)}"')

    return resub(s, pat, fix, count=count)


def set_link(s: str, rel: str, href: str) -> str:
    pat = r'<link\b[^>]*?\brel="' + re.escape(rel) + r'"[^>]*>'
    return resub(s, pat, lambda m: resub(m.group(0), r'\bhref="[^"]*"', f'href="{attr(href)}"'))


# ---------------------------------------------------------------------------
# text helpers
# ---------------------------------------------------------------------------
LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
NBSP = "\u00a0"


def esc(text: str) -> str:
    return html.escape(text, quote=False).replace(NBSP, "&nbsp;")


def attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def inline(text: str, link_class: str = "internal-link") -> str:
    """Content mini-markup -> HTML: [text](href) becomes a DW internal link."""
    out, pos = [], 0
    for m in LINK_RE.finditer(text):
        out.append(esc(text[pos : m.start()]))
        out.append(f'<a class="{link_class}" href="{attr(m.group(2))}">{esc(m.group(1))}</a>')
        pos = m.end()
    out.append(esc(text[pos:]))
    return "".join(out)


def plain(text: str) -> str:
    """What a reader sees: link text kept, whitespace runs (incl. nbsp) collapsed, stripped."""
    return " ".join(LINK_RE.sub(r"\1", text).split())


SW_MONTHS = [
    "Januari",
    "Februari",
    "Machi",
    "Aprili",
    "Mei",
    "Juni",
    "Julai",
    "Agosti",
    "Septemba",
    "Oktoba",
    "Novemba",
    "Desemba",
]


def ymd(iso: str) -> tuple[int, int, int]:
    y, m, d = iso[:10].split("-")
    return int(y), int(m), int(d)


def sw_long_date(iso: str) -> str:
    y, m, d = ymd(iso)
    return f"{d} {SW_MONTHS[m - 1]} {y}"


def dotted_date(iso: str) -> str:
    y, m, d = ymd(iso)
    return f"{d:02d}.{m:02d}.{y}"


def iso_seconds(iso: str | None) -> str | None:
    """'2023-09-14T10:12:00.000Z' -> '2023-09-14T10:12:00Z' (milliseconds dropped)."""
    if iso is None:
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z", iso)
    if not m:
        raise ValueError(iso)
    return m.group(1) + "Z"


def compact_json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def state_json(obj) -> str:
    """Serialised exactly like DW's Apollo state: compact, raw UTF-8, '<' as \\u003c."""
    return compact_json(obj).replace("<", "\\u003c")


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------
# site-wide Kiswahili data (navigation, labels)
# ---------------------------------------------------------------------------
# Sections served by the mirror. Only the first three are in the page navigation
# (as on the real home page); s-12760/s-12761 are the targets of the 2026 kicker links.
SECTIONS_NAV_REGIONS = [(12756, "afrika", "Afrika"), (12757, "ulimwengu", "Ulimwengu")]
SECTIONS_NAV_CATEGORIES = [(12759, "kumbukumbu", "Kumbukumbu")]
VIDEO_PATH = "/sw/habari-za-video/video-66811111"  # "latest videos" nav entry (not a section here)
AUDIO_PATH = "/sw/habari-za-jioni/audio-66811112"  # "latest audio" nav entry (2026 shell)
FOCUS_TOPICS = [  # header "Tunayoyaangazia" (in focus) links: topic pages, never crawled
    (60978725, "/sw/vita-vya-ukraine/t-60978725", "Vita vya Ukraine"),
    (65310001, "/sw/mzozo-wa-sudan/t-65310001", "Mzozo wa Sudan"),
    (17301128, "/sw/uchaguzi/t-17301128", "Uchaguzi"),
]
LIVE_TV_PATH = "/sw/live-tv/channel-english"
FEEDBACK_EMAIL = "kiswahili@dw.com"

# footer/legal links: article-type legal pages point off-site so that the only /sw/ article
# link without a file in the mirror is the deliberate /sw/habari-iliyoondolewa/a-66899999
LEGAL_LINKS = {
    "privacy": "https://corporate.dw.com/sw/sera-ya-faragha",
    "legal": "https://corporate.dw.com/sw/taarifa-za-kisheria",
    "accessibility": "https://corporate.dw.com/sw/taarifa-ya-ufikivu",
    "privacy_settings": "/sw/mipangilio-ya-faragha/privacy-settings-sw",
}


def section_path(sid: int, slug: str) -> str:
    return f"/sw/{slug}/s-{sid}"


# ---------------------------------------------------------------------------
# content
# ---------------------------------------------------------------------------
def load_articles() -> dict[int, dict]:
    specs = {}
    for path in sorted((CONTENT / "articles").glob("a-*.json")):
        spec = json.loads(read(path))
        specs[spec["id"]] = spec
    return specs


def article_path(spec: dict) -> str:
    return f"/sw/{spec['slug']}/a-{spec['id']}"


def canonical(spec: dict) -> str:
    return SITE + article_path(spec)


def permalink_id(spec: dict) -> int:
    """Id whose short link the page shows (differs from the id only for the mismatch case)."""
    return spec.get("permalink_override_id", spec["id"])


def body_paragraphs(spec: dict) -> list[str]:
    """Expected body paragraphs, straight from the content definition."""
    out = []
    for b in spec["body"]:
        if b["type"] in ("p", "h2", "h3"):
            out.append(plain(b["text"]))
        elif b["type"] == "ul":
            out.extend(plain(i) for i in b["items"])
    return [p for p in out if p]


def images(spec: dict) -> list[dict]:
    out = []
    lead = spec.get("lead_image")
    blocks = [lead] + [b for b in spec["body"] if b["type"] in ("figure", "picbox")]
    for im in blocks:
        if im is None:
            continue
        url = im.get("src") or f"https://static.dw.com/image/{im['id']}_6.jpg"
        out.append(
            {
                "url": url,
                "caption": plain(im["caption"]) or None,
                "credit": plain(im["credit"]) if im.get("credit") else None,
            }
        )
    return out


def agencies_of(text: str) -> list[str]:
    m = re.search(r"\(([^)]*)\)\s*$", text)
    if not m:
        raise ValueError(text)
    return [a.strip() for a in m.group(1).split(",") if a.strip()]


def expected_for(spec: dict) -> dict:
    layout = spec["layout"]
    body = "\n\n".join(body_paragraphs(spec))
    topics, seen = [], set()
    for t in [k["name"] for k in spec.get("kicker_topics", [])] + [t["name"] for t in spec["related_topics"]]:
        t = plain(t)
        if t not in seen:
            seen.add(t)
            topics.append(t)
    editors = [plain(b["text"]).split(":", 1)[1].strip() for b in spec["body"] if b["type"] == "editor"]
    agencies = [a for b in spec["body"] if b["type"] == "agencies" for a in agencies_of(b["text"])]
    if layout == "current":
        published, modified = iso_seconds(spec["published"]), iso_seconds(spec["modified"])
    elif layout == "2026":
        published, modified = iso_seconds(spec["date_meta"]), None
    else:  # legacy: dd.mm.yyyy only
        d, m, y = spec["date_legacy"].split(".")
        published, modified = f"{y}-{m}-{d}", None
    return {
        "short_id": short_id(spec["id"]),
        "short_url": short_url(spec["id"]),
        "content_id": spec["id"],
        "url": canonical(spec),
        "language": "sw",
        "content_type": "article",
        "title": plain(spec["title"]),
        "teaser": plain(spec["teaser"]),
        "body": body,
        "subheadings": [plain(b["text"]) for b in spec["body"] if b["type"] in ("h2", "h3")],
        "category": spec["category"]["name"],
        "category_id": spec["category"].get("origin_id") if layout == "current" else None,
        "topics": topics,
        "authors": [a["name"] for a in spec["authors"]],
        "editors": editors,
        "agencies": agencies,
        "published": published,
        "modified": modified,
        "images": images(spec),
        "word_count": len(body.split()),
    }


def exported_text(text: str) -> str:
    """The project's quote convention for exported text (README "Text conventions"): DW Kiswahili's
    two-apostrophe quotation mark and typographic double quotes become '"'."""
    return re.sub("'{2,}", '"', text.replace("\u201c", '"').replace("\u201d", '"'))


def dump_expected(obj: dict) -> str:
    exported = {
        key: exported_text(value) if key in ("title", "teaser", "body") else value for key, value in obj.items()
    }
    exported["subheadings"] = [exported_text(h) for h in obj["subheadings"]]
    return json.dumps(exported, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------
# rich text (the article body HTML, identical in the DOM and in state `text`)
# ---------------------------------------------------------------------------
def figure_current(b: dict) -> str:
    return (
        f'<figure class="placeholder-image master_landscape big"><img data-format="MASTER_LANDSCAPE" '
        f'data-id="{b["id"]}" data-url="https://static.dw.com/image/{b["id"]}_${{formatId}}.jpg" '
        f'data-aspect-ratio="16/9" alt="{attr(b["alt"])}" style="padding-bottom: 56.25%; height: 0; '
        f'max-height: 0;"><figcaption class="img-caption">{esc(b["caption"])}'
        f'<small class="copyright">Picha: {esc(b["credit"])}</small></figcaption></figure>'
    )


def tweet_html(b: dict) -> str:
    handle = re.search(r"@(\w+)", b["author"]).group(1)
    return (
        f'<blockquote class="tweet embed" data-id="{b["tweet_id"]}"><p lang="sw" dir="ltr">{esc(b["text"])}'
        f'</p>&mdash; {esc(b["author"])} <a href="https://twitter.com/{handle}/status/{b["tweet_id"]}">'
        f"{esc(b['date'])}</a></blockquote>"
    )


def rich_text(spec: dict, figure=figure_current, glue_figures: bool = True) -> str:
    """Body HTML in DW's serialisation: blocks separated by blank lines, figures and ad slots
    glued to the preceding block (as in the real 2024 page)."""
    parts: list[str] = []
    ads = 0
    for b in spec["body"]:
        t = b["type"]
        if t == "p" or t == "agencies":
            parts.append(f"<p>{inline(b['text'])}</p>")
        elif t == "editor":
            inner = inline(b["text"])
            parts.append(f"<p><em>{inner}</em></p>" if b.get("em") else f"<p>{inner}</p>")
        elif t in ("h2", "h3"):
            parts.append(f"<{t}>{inline(b['text'])}</{t}>")
        elif t == "ul":
            parts.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b["items"]) + "</ul>")
        elif t == "readmore":
            label, rest = b["text"].split(":", 1)
            parts.append(f"<p><strong>{esc(label)}:</strong> {inline(rest.strip())}</p>")
        elif t == "tweet":
            parts.append(tweet_html(b))
        elif t == "figure" and glue_figures:
            parts[-1] += figure(b)
        elif t == "figure":
            parts.append(figure(b))
        elif t == "ad":
            ads += 1
            parts[-1] += f'<span data-slot-id="Article_InContent-{ads}" class="rich-text-ad"></span>'
        else:
            raise ValueError(t)
    return "\n\n".join(parts) + "\n"


# ---------------------------------------------------------------------------
# current layout (2023-24), from the real German 2024 page
# ---------------------------------------------------------------------------
CUR_ARTICLE_START = '<article class="sc-kATywh dKNoQg sc-iQZJnH bbmRZb">'
CUR_MAIN_START = '<section class="row"><div class="detail-zone col">'
CUR_FOOTER_START = '<footer class="sc-jtrUWv haVSSs" id="footer">'
CUR_STATE_START = "<script> window.__APOLLO_STATE__="
CUR_LI = '<li class="sc-iJfdHH sc-gisvNi sc-bYUneI cmgBOB cACDTp jbxftw sc-cZhcFc gKlbKx has-italic">'
CUR_SKIP_LABELS = [
    ("Zum Inhalt springen", "Nenda kwenye maudhui"),
    ("Zur Hauptnavigation springen", "Nenda kwenye orodha kuu"),
    ("Zu weiteren Angeboten der DW springen", "Nenda tovuti zaidi za DW"),
]
CUR_FOOTER_TEXT = [  # (German, Kiswahili, occurrences inside the footer)
    (">Unternehmen<", ">Kuhusu DW<", 1),
    (">Über uns<", ">Sisi ni nani<", 1),
    ("— Über uns", "— Sisi ni nani", 1),
    (">Presse<", ">Vyombo vya habari<", 1),
    ("— Presse", "— Vyombo vya habari", 1),
    ("— auf Englisch", "— kwa Kiingereza", 1),
    (">auf Englisch<", ">kwa Kiingereza<", 1),
    (">Angebote der DW<", ">Huduma za DW<", 1),
    (">Deutsch lernen<", ">Jifunze Kijerumani<", 1),
    ("— Deutsch lernen", "— Jifunze Kijerumani", 1),
    (">Service<", ">Huduma<", 1),
    (">Newsletter<", ">Jarida<", 1),
    ("— Newsletter", "— Jarida", 1),
    (">Empfang<", ">Mapokezi<", 1),
    ("— Empfang", "— Mapokezi", 1),
    (">Kontakt<", ">Wasiliana nasi<", 1),
    ("— Kontakt", "— Wasiliana nasi", 1),
    (">Themen von A bis Z<", ">Mada kuanzia A hadi Z<", 1),
    (">Schlagzeilen<", ">Vichwa vya habari<", 1),
    (">Werbung<", ">Matangazo<", 1),
    ("— Werbung", "— Matangazo", 1),
    (">Folgen Sie uns auf<", ">Tufuate kwenye<", 1),
    (">Datenschutz<", ">Sera ya faragha<", 1),
    (">Impressum<", ">Taarifa za kisheria<", 1),
    (">Erklärung zur Barrierefreiheit<", ">Taarifa ya ufikivu<", 1),
    (">Datenschutzeinstellungen<", ">Mipangilio ya faragha<", 1),
    ('title="Externer Link', 'title="Kiungo cha nje', 15),
    ("https://corporate.dw.com/de/", "https://corporate.dw.com/sw/", 8),
    ("https://learngerman.dw.com/de/overview", "https://learngerman.dw.com/sw/overview", 1),
    ("https://akademie.dw.com/de/start/s-8101", "https://akademie.dw.com/en/home/s-9519", 1),
    ('href="/de/themen-von-a-bis-z/index-de/a"', 'href="/sw/mada-kuanzia-a-hadi-z/index-sw/a"', 1),
    ('href="/de/schlagzeilen/headlines-de"', 'href="/sw/vichwa-vya-habari/headlines-sw"', 1),
    ('href="/de/german-news-service/s-101393"', 'href="https://www.dw.com/en/german-news-service/s-101394"', 1),
    ("https://facebook.com/dw.german", "https://facebook.com/dwkiswahili", 1),
    ("https://www.youtube.com/dwdeutsch", "https://www.youtube.com/dwkiswahili", 1),
    ("https://twitter.com/dw_deutsch", "https://twitter.com/dw_kiswahili", 1),
    (
        'href="/de/definition-und-nutzung-von-daten-durch-die-deutsche-welle-gemäß-eu-dsgvo/a-64905194"',
        f'href="{LEGAL_LINKS["privacy"]}"',
        1,
    ),
    ('href="/de/impressum/a-66180469"', f'href="{LEGAL_LINKS["legal"]}"', 1),
    ('href="/de/erklärung-zur-barrierefreiheit/a-53922532"', f'href="{LEGAL_LINKS["accessibility"]}"', 1),
    ('href="/de/datenschutzeinstellungen/privacy-settings-de"', f'href="{LEGAL_LINKS["privacy_settings"]}"', 1),
]


def js_uri(text: str) -> str:
    """encodeURIComponent, as used in DW's share links."""
    return quote(text, safe="-_.!~*'()")


def gtm_query(page_data: dict) -> str:
    """The GTM <noscript> iframe query built from dataLayer pageData (as on the real page:
    empty lists, false flags and the embeddings object are left out)."""
    parts = []
    for k, v in page_data.items():
        if isinstance(v, list):
            parts += [f"pageData[{k}][{i}]={x}" for i, x in enumerate(v)]
        elif isinstance(v, dict) or v is False:
            continue
        else:
            parts.append(f"pageData[{k}]={v}")
    return "&amp;".join(attr(p) for p in parts)


def cur_nav(s: str) -> str:
    """Kiswahili navigation groups in place of the German Regionen/Themen/Ressorts groups."""
    pre, mid, post = cut(
        s,
        '<div class="sc-fXitXF lgKIey sc-fwdjSP cpRcUZ sc-fcdPlE dbhSFf nav-group-regionsChildren"',
        '</div></div></div></div></div></div><div class="sc-iJfdHH sc-gisvNi sc-bYUneI cmgBOB cACDTp jbxftw '
        'sc-khksUn eiKjMo backdrop has-italic"',
    )
    group_open = re.match(r'<div class="[^"]*nav-group-regionsChildren"', mid).group(0)
    h2_class = re.search(r'<h2 class="([^"]*group-headline[^"]*)"', mid).group(1)
    ul_class = re.search(r'<ul class="([^"]*group-list)"', mid).group(1)
    a_class = "sc-hLclGa sc-eDnVMP NHSoB lbOlXs"

    def group(kind: str, label: str, items) -> str:
        lis = "".join(
            f'{CUR_LI}<a href="{section_path(i, slug)}" class="{a_class}" role="menuitem" '
            f'aria-setsize="{len(items)}" aria-posinset="{n}">{esc(name)}</a></li>'
            for n, (i, slug, name) in enumerate(items, 1)
        )
        return (
            group_open.replace("regionsChildren", kind) + f' role="group" aria-labelledby="{label}">'
            f'<h2 class="{h2_class}" id="{label}">{label}</h2><ul class="{ul_class}">{lis}</ul></div>'
        )

    new = group("regionsChildren", "Kanda", SECTIONS_NAV_REGIONS) + group(
        "categoriesChildren", "Idara", SECTIONS_NAV_CATEGORIES
    )
    return pre + new + post


def cur_shell(
    s: str,
    *,
    title: str,
    canonical_url: str,
    amp_url: str,
    description: str,
    og_title: str,
    twitter_title: str,
    image: dict | None,
    page_data: dict,
    ld: dict | None,
) -> str:
    """Everything outside the main content: head, header/navigation, footer."""
    s = once(s, '<html lang="de">', '<html lang="sw">')
    s = resub(s, r'<title data-rh="true">[^<]*</title>', f'<title data-rh="true">{esc(title)}</title>')
    s = set_link(s, "canonical", canonical_url)
    s = set_link(s, "amphtml", amp_url)
    s = set_link(s, "manifest", "/sw/manifest.json")
    for key in ("description", "og:description", "twitter:description"):
        s = set_meta(s, key, description)
    s = set_meta(s, "og:title", og_title)
    s = set_meta(s, "twitter:title", twitter_title)
    s = set_meta(s, "og:url", canonical_url)
    s = set_meta(s, "twitter:site", "@dw_kiswahili")
    img_url = f"https://static.dw.com/image/{image['id']}_6.jpg"
    s = set_meta(s, "og:image", img_url)
    s = set_meta(s, "twitter:image", img_url)
    s = set_meta(s, "og:image:alt", image["alt"])
    s = set_meta(s, "twitter:image:alt", image["alt"])
    s = resub(
        s,
        r"window\.dataLayer = \[.*?\]\n",
        "window.dataLayer = "
        + compact_json([{"pageData": page_data, "event": "initDataLayer", "webAppVersion": "3.3.0"}])
        + "\n",
    )
    if ld is None:
        s = resub(s, r'<script data-rh="true" type="application/ld\+json">.*?</script>', "")
    else:
        s = resub(
            s,
            r'(<script data-rh="true" type="application/ld\+json">).*?(</script>)',
            lambda m: m.group(1) + compact_json(ld) + m.group(2),
        )
    s = resub(
        s,
        r'(src="https://www\.googletagmanager\.com/ns\.html\?id=GTM-PZGTJJ2&amp;)[^"]*(")',
        lambda m: m.group(1) + gtm_query(page_data) + m.group(2),
    )
    for de, sw in CUR_SKIP_LABELS:
        s = once(s, f">{de}</span>", f">{sw}</span>")
    s = once(
        s,
        '<a href="/de/themen/s-9077" class="sc-hLclGa NHSoB sc-lltjXc fbfjhh logo" title="Startseite der DW — '
        'Made for minds">',
        f'<a href="{HOME_PATH}" class="sc-hLclGa NHSoB sc-lltjXc fbfjhh logo" title="Ukurasa wa mwanzo wa DW — '
        'Made for minds">',
    )
    s = once(s, 'title="Hauptnavigation öffnen"', 'title="Fungua orodha kuu"')
    s = once(s, 'href="/de/neueste-videos/s-64431693"', f'href="{VIDEO_PATH}"', 2)
    s = once(s, 'aria-label="Neueste Videos"', 'aria-label="Video za karibuni"', 2)
    s = once(s, ">Neueste Videos</span>", ">Video za karibuni</span>", 2)
    s = cur_nav(s)
    s = once(s, 'href="/de/live-tv/channel-english"', f'href="{LIVE_TV_PATH}"')
    s = once(
        s,
        'title="TV-Livestream öffnen - Kanal DW English"',
        'title="Fungua matangazo ya TV ya moja kwa moja - Chaneli DW English"',
    )
    s = once(s, '<span class="label">Live-TV</span>', '<span class="label">TV mubashara</span>')
    s = once(s, ">Im Fokus</div>", ">Tunayoyaangazia</div>")
    focus = re.findall(r'<a href="(/de/[^"]+/t-\d+)" class="sc-hLclGa sc-eDnVMP NHSoB lbOlXs">([^<]+)</a>', s)
    if len(focus) != len(FOCUS_TOPICS):
        raise TemplateError("focus links")
    for (old_href, old_name), (_, href, name) in zip(focus, FOCUS_TOPICS, strict=True):
        s = once(
            s,
            f'<a href="{old_href}" class="sc-hLclGa sc-eDnVMP NHSoB lbOlXs">{old_name}</a>',
            f'<a href="{href}" class="sc-hLclGa sc-eDnVMP NHSoB lbOlXs">{esc(name)}</a>',
        )
    s = once(s, 'title="Vorherige Seite zeigen"', 'title="Onyesha ukurasa uliotangulia"')
    s = once(s, 'title="Mehr Beiträge zum Top-Thema anzeigen"', 'title="Onyesha habari zaidi za mada kuu"')
    pre, foot, post = cut(s, CUR_FOOTER_START, "</footer>")
    for de, sw, n in CUR_FOOTER_TEXT:
        foot = once(foot, de, sw, n)
    return pre + foot + post


def cur_page_data(
    *,
    level2: str,
    title: str,
    oid: int,
    ctype: int,
    date: str,
    regions: list,
    topic_ids: list,
    sid: int,
    url: str,
    meta_regions: str,
    meta_topics: str,
) -> dict:
    """dataLayer pageData, same keys and order as on the real page."""
    return {
        "categoryLevel1": "IDHAA YA KISWAHILI",
        "categoryLevel2": level2,
        "categoryLevel3": "",
        "contentTitle": title,
        "contentLanguage": 29,
        "pageOID": oid,
        "contentType": ctype,
        "date": int(date.replace("-", "")[:8]),
        "regions": regions,
        "subjects": [],
        "topicIds": topic_ids,
        "pageSID": str(sid),
        "departmentName": "Kiswahili",
        "categoryType": 1,
        "displayForm": 5,
        "level1ID": "615873",
        "environment": "WEBAPP_LIVE",
        "macaParam": MACA,
        "pageUrl": url,
        "profileTopicContent": False,
        "metaRegions": meta_regions,
        "metaTopics": meta_topics,
        "embeddings": {},
    }


CUR_SHARE_SERVICES = [
    "Facebook",
    "X / Twitter",
    "Whatsapp",
    "EMail",
    "Facebook messenger",
    "reddit",
    "Telegram",
    "linkedin",
    "SMS",
]


def cur_article(real_article: str, spec: dict) -> str:
    """The <article> element: the real one with every content part replaced."""
    a = real_article
    sid, title = short_id(permalink_id(spec)), spec["title"]
    # kicker: category (plain span) + region/topic link(s)
    m = re.search(r'(<div class="[^"]*kicker[^"]*" data-tracking-name="content-detail-kicker">)(.*?)(</div>)', a)
    link_span = re.search(r'<span><a href="[^"]*" class="([^"]*)" tabindex="0"><span class="([^"]*)">', m.group(2))
    kicker = f"<span>{esc(spec['category']['name'])}</span>" + "".join(
        f'<span><a href="{attr(k["href"])}" class="{link_span.group(1)}" tabindex="0">'
        f'<span class="{link_span.group(2)}">{esc(k["name"])}</span></a></span>'
        for k in spec["kicker_topics"]
    )
    a = a.replace(m.group(0), m.group(1) + kicker + m.group(3))
    a = resub(a, r'(<h1 class="[^"]*">)[^<]*(</h1>)', lambda mm: mm.group(1) + esc(title) + mm.group(2))
    # authors (2023-24: span.author, several separated by span.separator; none: no element)
    m = re.search(
        r'<div class="([^"]*author-details)"><span><span class="([^"]*author no-link[^"]*)">[^<]*</span></span></div>',
        a,
    )
    if spec["authors"]:
        sep = f'<span class="{m.group(2).replace("author no-link", "separator")}"> | </span>'
        names = sep.join(f'<span class="{m.group(2)}">{esc(x["name"])}</span>' for x in spec["authors"])
        a = a.replace(m.group(0), f'<div class="{m.group(1)}"><span>{names}</span></div>')
    else:
        a = a.replace(m.group(0), "")
    shown = spec["date_display"]
    a = once(a, '<time aria-hidden="true">30.01.2024</time>', f'<time aria-hidden="true">{esc(shown)}</time>')
    a = once(a, ">30. Januar 2024</span>", f">{esc(sw_long_date(spec['published']))}</span>")
    a = resub(
        a, r'(<p class="[^"]*teaser-text[^"]*">)[^<]*(</p>)', lambda mm: mm.group(1) + esc(spec["teaser"]) + mm.group(2)
    )
    # sharing links and the short link
    a = once(a, "Russland-Wahl%3A%20Nadeschdin%20setzt%20auf%20ein%20Ende%20der%20Putin-%C3%84ra", js_uri(title), 5)
    a = once(a, "https://p.dw.com/p/4boRv%3Fmaca%3Dde-", f"https://p.dw.com/p/{sid}%3Fmaca%3Dsw-", 9)
    for svc in CUR_SHARE_SERVICES:
        a = once(
            a,
            f'title="Externer Link — diese Seite mit {svc} teilen"',
            f'title="Kiungo cha nje — shiriki ukurasa huu kupitia {svc}"',
        )
    a = once(a, 'title="Weitere Funktionen zum Teilen einblenden"', 'title="Onyesha njia zaidi za kushiriki"')
    a = once(a, ">https://p.dw.com/p/4boRv</span>", f">https://p.dw.com/p/{sid}</span>")
    # lead image
    lead = spec["lead_image"]
    a = once(a, "https://static.dw.com/image/68059583_", f"https://static.dw.com/image/{lead['id']}_", 36)
    a = once(
        a,
        'title="Russland  Boris Nadezhdin Kandidat Präsidentschaftswahlen" alt="Russland  Boris Nadezhdin '
        'Kandidat Präsidentschaftswahlen"',
        f'title="{attr(lead["alt"])}" alt="{attr(lead["alt"])}"',
    )
    a = once(
        a,
        ">Gilt als einziger Antikriegskandidat für die russische Präsidentschaftswahl: Boris Nadeschdin<small",
        f">{esc(lead['caption'])}<small",
    )
    a = once(
        a,
        ">Bild:<!-- --> <!-- -->Mikhail Sinitsyn/TASS/dpa/picture alliance</small>",
        f">Picha:<!-- --> <!-- -->{esc(lead['credit'])}</small>",
    )
    a = once(a, ">Anzeige</span>", ">Tangazo</span>", 2)
    # body
    pre, _, post = cut(a, 'rich-text has-italic has-italic">', '</div><footer class="sc-eymMWw dmVBiP">')
    a = pre + 'rich-text has-italic has-italic">' + rich_text(spec) + post
    a = once(a, ">Schicken Sie uns Ihr Feedback!<", ">Tutumie maoni yako!<")
    a = once(a, ">Ihr Feedback</span>", ">Maoni yako</span>")
    a = once(a, 'title="Formular schließen"', 'title="Funga fomu"')
    return a


def cur_related_topics(section: str, spec: dict) -> str:
    section = once(
        section,
        ">Den nächsten Abschnitt Ähnliche Themen überspringen</span>",
        ">Ruka sehemu inayofuata: Mada zinazohusiana</span>",
    )
    section = once(section, ">Ähnliche Themen</h2>", ">Mada zinazohusiana</h2>")
    m = re.search(r'<a href="[^"]*" class="([^"]*)" role="button" tabindex="0">', section)
    links = "".join(
        f'<a href="/sw/{t["slug"]}/t-{t["id"]}" class="{m.group(1)}" role="button" tabindex="0">{esc(t["name"])}</a>'
        for t in spec["related_topics"]
    )
    return resub(section, r'(<aside class="[^"]*">).*?(</aside>)', lambda mm: mm.group(1) + links + mm.group(2))


# ---------------------------------------------------------------------------
# embedded Apollo state (window.__APOLLO_STATE__ / window.__APP_STATE__)
# ---------------------------------------------------------------------------
I18N_SW = compact_json(
    {
        "content_block": {"general": {"show_more": "Onyesha zaidi"}, "top_story": {"headline": "Habari kuu"}},
        "content_detail": {
            "related_topics": {"headline": "Mada zinazohusiana"},
            "feedback": {"button": "Tutumie maoni yako!"},
        },
        "component": {"sharing": {"copy_link": "Nakili kiungo"}, "advertisement": {"label": "Tangazo"}},
    }
)


def real_state(src: str) -> dict:
    i = src.index(CUR_STATE_START) + len(CUR_STATE_START)
    j = src.index("; </script>", i)
    return json.loads(src[i:j])


def sw_footer_object() -> dict:
    def link(text, url, lang="KISWAHILI"):
        return {"__typename": "FooterLinkedContent", "text": text, "url": url, "targetLanguage": lang}

    return {
        "__typename": "Footer",
        "policyId": 64905194,
        "legalId": 66180469,
        "sections": [
            {
                "__typename": "FooterSection",
                "headline": "Kuhusu DW",
                "links": [
                    link("Sisi ni nani", "https://corporate.dw.com/sw/profil/s-30626"),
                    link("Vyombo vya habari", "https://corporate.dw.com/sw/presse/s-2981"),
                    link("DW Global Media Forum", "https://corporate.dw.com/en/gmf/s-43101535", "ENGLISH"),
                ],
            },
            {
                "__typename": "FooterSection",
                "headline": "Huduma za DW",
                "links": [
                    link("Jifunze Kijerumani", "https://learngerman.dw.com/sw/overview", None),
                    link("DW Akademie", "https://akademie.dw.com/en/home/s-9519", "ENGLISH"),
                ],
            },
            {
                "__typename": "FooterSection",
                "headline": "Huduma",
                "links": [
                    link("Jarida", "https://corporate.dw.com/sw/newsletter-anmeldung/a-15718221"),
                    link("Mapokezi", "https://corporate.dw.com/sw/empfang/s-4136"),
                    link("FAQ", "https://corporate.dw.com/sw/faq/s-30582"),
                    link("Wasiliana nasi", "https://corporate.dw.com/sw/kontakt/s-30583"),
                    link("Mada kuanzia A hadi Z", "/sw/mada-kuanzia-a-hadi-z/index-sw/a", None),
                    link("Vichwa vya habari", "/sw/vichwa-vya-habari/headlines-sw", None),
                ],
            },
        ],
        "linkedSocialMediaAccounts": [
            {
                "__typename": "FooterLinkedSocialMediaAccount",
                "service": "facebook",
                "url": "https://facebook.com/dwkiswahili",
            },
            {
                "__typename": "FooterLinkedSocialMediaAccount",
                "service": "youtube",
                "url": "https://www.youtube.com/dwkiswahili",
            },
            {
                "__typename": "FooterLinkedSocialMediaAccount",
                "service": "x-twitter",
                "url": "https://twitter.com/dw_kiswahili",
            },
        ],
        "privacySettings": {
            "__typename": "PrivacySettings",
            "title": "Mipangilio ya faragha",
            "namedUrl": LEGAL_LINKS["privacy_settings"],
        },
        "policy": {"__typename": "Article", "namedUrl": LEGAL_LINKS["privacy"]},
        "legal": {"__typename": "Article", "namedUrl": LEGAL_LINKS["legal"]},
        "accessibility": {"__typename": "Article", "namedUrl": LEGAL_LINKS["accessibility"]},
    }


def ref(key: str) -> dict:
    return {"__ref": key}


def cl_key(target_id: int) -> str:
    return f'ContentLink:{{"targetId":{target_id}}}'


def share_urls(spec: dict) -> list[tuple[str, str, str]]:
    """(id, name, url) of the sharing links, exactly as rendered in the page."""
    sid, t = short_id(permalink_id(spec)), js_uri(spec["title"])
    p = f"https://p.dw.com/p/{sid}%3Fmaca%3Dsw-"
    return [
        ("facebook", "Facebook", f"https://www.facebook.com/sharer/sharer.php?u={p}Facebook-sharing"),
        ("x-twitter", "X / Twitter", f"https://twitter.com/intent/tweet?source=webclient&text={t}+{p}Twitter-sharing"),
        ("whatsapp", "Whatsapp", f"whatsapp://send?text={t}%20-%20{p}Whatsapp-sharing"),
        ("email", "EMail", f"mailto:?body={p}EMail-sharing&subject={t}"),
        ("facebook-messenger", "Facebook messenger", f"fb-messenger://share/?link={p}Facebook%20messenger-sharing"),
        ("reddit", "reddit", f"https://www.reddit.com/submit?url={p}reddit-sharing"),
        ("telegram", "Telegram", f"https://telegram.me/share/url?url={p}Telegram-sharing&text={t}"),
        (
            "linkedin",
            "linkedin",
            f"https://www.linkedin.com/shareArticle?mini=true&url={p}linkedin-sharing&title={t}&source=DW.COM",
        ),
        ("sms", "SMS", f"sms:?&body={p}SMS-sharing"),
    ]


def build_state(spec: dict, specs: dict, real: dict) -> dict:
    cid, pub, mod = spec["id"], spec["published"], spec["modified"]
    path, url = article_path(spec), canonical(spec)
    lead = spec["lead_image"]
    st: dict = {}
    st["ROOT_QUERY"] = {
        "__typename": "Query",
        'i18nByLang({"lang":"KISWAHILI"})': {"__typename": "Translations", "all": I18N_SW},
        "config": {
            k.replace('"lang":"GERMAN"', '"lang":"KISWAHILI"'): v for k, v in real["ROOT_QUERY"]["config"].items()
        },
        f'content({{"id":{cid},"lang":"KISWAHILI"}})': ref(f"Article:{cid}"),
    }
    st[f"Image:{lead['id']}"] = {
        "__typename": "Image",
        "id": lead["id"],
        "staticUrl": f"https://static.dw.com/image/{lead['id']}_${{formatId}}.jpg",
        "licenserSupplement": lead["credit"],
        "imageType": "STANDARD",
        "name": lead["alt"],
        'persons({"amount":1})': [],
        "opinionSeries": [],
        "contentDate": pub,
        "localizedContentDate": dotted_date(pub),
        "localizedContentDateSr": sw_long_date(pub),
        "title": lead["alt"],
        "mainContentImageLink": None,
    }
    st[cl_key(lead["id"])] = {
        "__typename": "ContentLink",
        "targetId": lead["id"],
        "target": ref(f"Image:{lead['id']}"),
        "additionalInformation": lead["alt"],
        "description": lead["caption"],
        "isInText": False,
        "targetType": "IMAGE",
        "name": "",
    }
    for au in spec["authors"]:
        st[f"Person:{au['id']}"] = {
            "__typename": "Person",
            "namedUrl": f"/sw/{au['slug']}/person-{au['id']}",
            "fullName": au["name"],
            "id": au["id"],
            "twitterHandle": None,
            "shortProfile": None,
            "autoDelivery": 0,
            "mainContentImageLink": None,
        }
    for sid_, slug, name in SECTIONS_NAV_REGIONS + SECTIONS_NAV_CATEGORIES:
        st[f"Navigation:{sid_}"] = {
            "__typename": "Navigation",
            "id": sid_,
            "name": name,
            "namedUrl": section_path(sid_, slug),
        }
    for tid, href, name in FOCUS_TOPICS:
        st[cl_key(tid)] = {
            "__typename": "ContentLink",
            "targetId": tid,
            "name": name,
            "target": {"__typename": "AutoTopic", "namedUrl": href},
        }
    for au in spec["authors"]:
        st[f'ContentAssociation:{{"targetId":{au["id"]}}}'] = {
            "__typename": "ContentAssociation",
            "targetId": au["id"],
            "additionalInformation": None,
        }
    in_text: list[int] = []
    later: dict = {}
    for b in spec["body"]:
        if b["type"] == "figure":
            in_text.append(b["id"])
            st[cl_key(b["id"])] = {
                "__typename": "ContentLink",
                "targetId": b["id"],
                "isInText": True,
                "targetType": "IMAGE",
                "name": "",
                "description": b["caption"],
                "target": ref(f"Image:{b['id']}"),
                "additionalInformation": b["alt"],
            }
            later[f"Image:{b['id']}"] = {
                "__typename": "Image",
                "id": b["id"],
                "name": b["alt"],
                'persons({"amount":1})': [],
                "opinionSeries": [],
                "contentDate": pub,
                "localizedContentDate": dotted_date(pub),
                "localizedContentDateSr": sw_long_date(pub),
                "title": b["alt"],
                "mainContentImageLink": None,
                "staticUrl": f"https://static.dw.com/image/{b['id']}_${{formatId}}.jpg",
            }
        for text in ([b["text"]] if "text" in b else []) + b.get("items", []):
            for name, href in LINK_RE.findall(text):
                m = re.search(r"/(t|a)-(\d+)$", href)
                tid = int(m.group(2))
                in_text.append(tid)
                if m.group(1) == "t":
                    st[cl_key(tid)] = {
                        "__typename": "ContentLink",
                        "targetId": tid,
                        "isInText": True,
                        "targetType": "AUTO_TOPIC",
                        "name": name,
                        "description": "",
                        "target": ref(f"AutoTopic:{tid}"),
                    }
                    later[f"AutoTopic:{tid}"] = {"__typename": "AutoTopic", "id": tid, "namedUrl": href, "name": name}
                else:
                    target = specs[tid]
                    st[cl_key(tid)] = {
                        "__typename": "ContentLink",
                        "targetId": tid,
                        "isInText": True,
                        "targetType": "ARTICLE",
                        "name": target["title"],
                        "description": target["teaser"],
                        "target": ref(f"Article:{tid}"),
                    }
                    later[f"Article:{tid}"] = {
                        "__typename": "Article",
                        "id": tid,
                        "namedUrl": article_path(target),
                        "name": target["title"],
                        "teaser": target["teaser"],
                    }
    shares = share_urls(spec)
    for sid_, name, u in shares:
        st["SocialMediaEntry:" + compact_json({"url": u})] = {
            "__typename": "SocialMediaEntry",
            "id": sid_,
            "name": name,
            "url": u,
        }
    st.update(later)
    for t in spec["related_topics"]:
        st[f"AutoTopic:{t['id']}"] = {
            "__typename": "AutoTopic",
            "id": t["id"],
            "namedUrl": f"/sw/{t['slug']}/t-{t['id']}",
            "name": t["name"],
        }
    persons = [
        {
            "__typename": "Person",
            "personType": "AUTHOR",
            "namedUrl": f"/sw/{au['slug']}/person-{au['id']}",
            "fullName": au["name"],
            "autoDelivery": 0,
            "mainContentImageLink": None,
        }
        for au in spec["authors"]
    ]
    sec = spec["section"]
    kt = spec["kicker_topics"]
    values = {
        "__typename": "Article",
        "id": cid,
        "namedUrl": path,
        "classicUrl": url,
        "subdomain": "NEWS",
        "subdomainUrl": SITE,
        "isRtl": False,
        "isEuropeanLang": False,
        "isAsianOrAfricanLang": True,
        "isChineseLang": False,
        "language": "KISWAHILI",
        "footer": sw_footer_object(),
        "isLive": True,
        "canonicalUrl": url,
        "ampUrl": url.replace("https://www.", "https://amp."),
        "title": spec["title"],
        "podcast": None,
        "twitterAccount": "dw_kiswahili",
        "sharingDescription": spec["teaser"],
        "localizedContentDate": dotted_date(pub),
        "mainContentImageLink": ref(cl_key(lead["id"])),
        "persons": [ref(f"Person:{au['id']}") for au in spec["authors"]],
        "firstPublicationDate": pub,
        "lastPublicationDate": pub,
        "lastModifiedDate": mod,
        "topStoriesNavigation": {
            "__typename": "Navigation",
            "namedUrl": HOME_PATH,
            "regionsChildren": [ref(f"Navigation:{i}") for i, _, _ in SECTIONS_NAV_REGIONS],
            "topicsChildren": [],
            "categoriesChildren": [ref(f"Navigation:{i}") for i, _, _ in SECTIONS_NAV_CATEGORIES],
            "miscellaneousChildren": [],
            "latestMediaChildren": [],
            "footer": {"__typename": "Footer", "learngermanUrl": "https://learngerman.dw.com/sw/overview"},
            "focusNav": {"__typename": "FocusNavigation", "contentLinks": [ref(cl_key(t)) for t, _, _ in FOCUS_TOPICS]},
            "defaultChannel": {"__typename": "Channel", "name": "DW English", "namedUrl": LIVE_TV_PATH},
        },
        'topStoriesNavigations({"displayChannel":"DESKTOP"})': real["Article:68117411"][
            'topStoriesNavigations({"displayChannel":"DESKTOP"})'
        ],
        "hasMinTextLength": True,
        "isLiveVideo": False,
        "teaser": spec["teaser"],
        "priority": "NEUTRAL",
        "contentDate": pub,
        "localizedContentDateSr": sw_long_date(pub),
        "localizedFirstPublicationDate": dotted_date(pub),
        "localizedFirstPublicationDateSr": sw_long_date(pub),
        "contentDateMode": "LAST_PUBLICATION_DATE",
        'contentAssociations({"targetTypes":"PERSON"})': [
            ref(f'ContentAssociation:{{"targetId":{au["id"]}}}') for au in spec["authors"]
        ],
        "legacyAuthor": "",
        "thematicFocusCategory": {
            "__typename": "Category",
            "name": spec["category"]["name"],
            "correspondingContent": None,
        },
        'regions({"amount":1})': [
            {
                "__typename": "GeographicRegion",
                "alignedName": k["name"],
                "correspondingContent": {"__typename": "AutoTopic", "namedUrl": k["href"]},
            }
            for k in kt[:1]
        ],
        "kicker": "",
        "isOpinion": False,
        'persons({"amount":1})': persons[:1],
        "genre": "NEWS" if any(b["type"] == "agencies" for b in spec["body"]) else "NONE",
        "opinionSeries": [],
        "text": rich_text(spec),
        "contentLinks": [ref(cl_key(lead["id"]))] + [ref(cl_key(i)) for i in dict.fromkeys(in_text)],
        "videos": [],
        "audios": [],
        "imageGalleries": [],
        "widgets": [],
        "contactType": "DEPARTMENT",
        'navigations({"amount":1})': [{"__typename": "Navigation", "feedbackEmail": FEEDBACK_EMAIL}],
        "feedbackTypes": ["BUTTON"],
        "permaLinkUrl": short_url(permalink_id(spec)),
        "socialMediaConfig": [ref("SocialMediaEntry:" + compact_json({"url": u})) for _, _, u in shares],
        "livestreams": [],
        "externalLinks": [],
        "relatedAutoTopics": [ref(f"AutoTopic:{t['id']}") for t in spec["related_topics"]],
        'unifiedPrograms({"amount":1})': [],
        "dossierContents": [],
        "showLiveWelcomeLayer": False,
        "betaInfo": {"__typename": "Article", "namedUrl": "/sw/karibu-kwenye-toleo-la-majaribio/a-53807803"},
        "welcomeInfo": {"__typename": "Article", "namedUrl": "/sw/dwcom-muundo-mpya/a-59504153"},
        "imageSharingMetadata": {
            "__typename": "OpenGraphMetadata",
            "url": f"https://static.dw.com/image/{lead['id']}_6.jpg",
            "width": 940,
            "height": 529,
            "alt": lead["alt"],
        },
        "trackingId": cid,
        "trackingLanguageCode": 29,
        "trackingContentType": 1,
        "trackingCategories": ["IDHAA YA KISWAHILI", sec["name"]],
        "trackingDate": int(pub[:10].replace("-", "")),
        "trackingPageSID": str(sec["id"]),
        "trackingTopicsCommaJoined": spec["category"]["name"],
        "trackingRegionsCommaJoined": ",".join(k["name"] for k in kt),
        "name": spec["title"],
        "profileTopicContent": False,
        "subjects": [],
        "categories": [{"__typename": "Category", "originId": spec["category"]["origin_id"]}],
        "departments": [{"__typename": "Department", "name": "Kiswahili"}],
        "regions": [
            {"__typename": "GeographicRegion", "regionCode": k["regionCode"], "countryCode": k["countryCode"]}
            for k in kt
            if "regionCode" in k
        ],
    }
    real_keys = list(real["Article:68117411"].keys())
    if list(values.keys()) != real_keys:
        raise TemplateError(f"Article entry shape differs: {set(values) ^ set(real_keys)}")
    st[f"Article:{cid}"] = values
    return st


def render_current(spec: dict, specs: dict, src: str) -> str:
    real = real_state(src)
    title, pub = spec["title"], spec["published"]
    url = canonical(spec)
    kt = spec["kicker_topics"]
    page_data = cur_page_data(
        level2=spec["section"]["name"],
        title=title,
        oid=spec["id"],
        ctype=1,
        date=pub,
        regions=[f"{k['regionCode']}::{k['countryCode']}" for k in kt if "regionCode" in k],
        topic_ids=[spec["category"]["origin_id"]],
        sid=spec["section"]["id"],
        url=url,
        meta_regions=",".join(k["name"] for k in kt),
        meta_topics=spec["category"]["name"],
    )
    lead = spec["lead_image"]
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "publisher": {
            "@type": "Organization",
            "name": "Deutsche Welle",
            "logo": {
                "@type": "ImageObject",
                "url": "https://dw.com/images/icons/favicon-180x180.png",
                "width": "180",
                "height": "180",
            },
        },
    }
    if spec["authors"]:
        ld["author"] = [{"@type": "Person", "name": a["name"]} for a in spec["authors"]]
    ld.update(
        {
            "headline": title,
            "image": [
                f"https://static.dw.com/image/{lead['id']}_804.jpg",
                f"https://static.dw.com/image/{lead['id']}_604.jpg",
            ],
            "datePublished": pub,
            "dateModified": spec["modified"],
        }
    )
    s = cur_shell(
        src,
        title=f"{title} – DW – {dotted_date(pub)}",
        canonical_url=url,
        amp_url=url.replace("https://www.", "https://amp."),
        description=spec["teaser"],
        og_title=f"{title} – DW – {dotted_date(pub)}",
        twitter_title=title,
        image=lead,
        page_data=page_data,
        ld=ld,
    )
    pre, art, post = cut(s, CUR_ARTICLE_START, "</article>")
    s = pre + cur_article(art, spec) + post
    pre, rel, post = cut(
        s,
        '<section class="sc-gUkKNk gVJsek sc-fWzlon jymMRe sc-jeNXex iQohsv sc-eAmRia jHTksO" id="related-topics"',
        "</section>",
    )
    s = pre + cur_related_topics(rel, spec) + post
    var = spec.get("state_var", "__APOLLO_STATE__")
    state = state_json(build_state(spec, specs, real))
    # the real page: `<script> window.__APOLLO_STATE__={...}; </script>`; __APP_STATE__ pages are
    # written the way the 2025/26 bundles do it: `window.__APP_STATE__ = {...};`
    assign = f"window.{var}={state}; " if var == "__APOLLO_STATE__" else f"window.{var} = {state};\n"
    pre, _, post = cut(s, CUR_STATE_START, "</script>")
    return pre + "<script> " + assign + post


# ---------------------------------------------------------------------------
# 2026 layout, from the real English 2026 page (scripts stripped by the page's source project:
# no JSON-LD, no state, and <meta ... value=...> instead of content=)
# ---------------------------------------------------------------------------
N26_FOOTER_TEXT = [
    (">About DW<", ">Kuhusu DW<", 1),
    (">Who we are<", ">Sisi ni nani<", 1),
    ("— Who we are", "— Sisi ni nani", 1),
    (">Press<", ">Vyombo vya habari<", 1),
    ("— Press", "— Vyombo vya habari", 1),
    (">DW offers<", ">Huduma za DW<", 1),
    (">Learn German<", ">Jifunze Kijerumani<", 1),
    ("— Learn German", "— Jifunze Kijerumani", 1),
    (">Service<", ">Huduma<", 1),
    (">Newsletters<", ">Jarida<", 1),
    ("— Newsletters", "— Jarida", 1),
    (">Reception<", ">Mapokezi<", 1),
    ("— Reception", "— Mapokezi", 1),
    (">Contact<", ">Wasiliana nasi<", 1),
    ("— Contact", "— Wasiliana nasi", 1),
    (">Topics from A to Z<", ">Mada kuanzia A hadi Z<", 1),
    (">Headlines<", ">Vichwa vya habari<", 1),
    (">Advertising<", ">Matangazo<", 1),
    ("— Advertising", "— Matangazo", 1),
    (">Follow us on<", ">Tufuate kwenye<", 1),
    (">Privacy Policy<", ">Sera ya faragha<", 1),
    (">Legal notice<", ">Taarifa za kisheria<", 1),
    (">Digital accessibility<", ">Taarifa ya ufikivu<", 1),
    (">Data privacy settings<", ">Mipangilio ya faragha<", 1),
    ('title="External link', 'title="Kiungo cha nje', 17),
    ('href="/en/a-z-index/index-en/a"', 'href="/sw/mada-kuanzia-a-hadi-z/index-sw/a"', 1),
    ('href="/en/headlines/headlines-en"', 'href="/sw/vichwa-vya-habari/headlines-sw"', 1),
    ('href="/en/german-news-service/s-101394"', 'href="https://www.dw.com/en/german-news-service/s-101394"', 1),
    ("https://facebook.com/deutschewellenews", "https://facebook.com/dwkiswahili", 1),
    ("https://www.youtube.com/dwnews", "https://www.youtube.com/dwkiswahili", 1),
    ("https://www.instagram.com/dwnews", "https://www.instagram.com/dwkiswahili", 1),
    ("https://tiktok.com/@dwnews", "https://tiktok.com/@dwkiswahili", 1),
    ("https://x.com/dwnews", "https://x.com/dw_kiswahili", 1),
    (
        'href="/en/european-union-general-data-protection-regulation-gdpr-valid-may-25-2018/a-63500655"',
        f'href="{LEGAL_LINKS["privacy"]}"',
        1,
    ),
    ('href="/en/legal-notice/a-63500643"', f'href="{LEGAL_LINKS["legal"]}"', 1),
    ('href="/en/accessibility-statement/a-53922576"', f'href="{LEGAL_LINKS["accessibility"]}"', 1),
    ('href="/en/data-privacy-settings/privacy-settings-en"', f'href="{LEGAL_LINKS["privacy_settings"]}"', 1),
]
N26_SHARE_SERVICES = [
    "Facebook",
    "X / Twitter",
    "Reddit",
    "EMail",
    "Facebook messenger",
    "Whatsapp",
    "Telegram",
    "Linkedin",
    "SMS",
]
N26_OLD = {
    "id": 77538843,
    "short": "5FLOV",
    "lead": 77549352,
    "slug": "germany-start-2026-world-cup-with-win-over-curacao",
    "title": "Germany start 2026 World Cup with win over Curacao",
    "teaser": (
        "For the first time since they won the tournament in 2014, Germany won their opening game at the World Cup."
    ),
    "lead_alt": "Germany's players celebrate their second goal in Houston",
    "lead_caption": "Germany eventually overcame Curacao to seal their first World Cup opening win since 2014",
    "lead_credit": "Federico Gambarini/dpa/picture alliance",
    "author_href": "/en/jonathan-harding/person-18385408",
    "author": "Jonathan Harding",
}


def figure_2026(b: dict) -> str:
    """2026 body figure: like 2023-24 plus the src= the page's source project added."""
    tpl = f"https://static.dw.com/image/{b['id']}_${{formatId}}.jpg"
    return (
        f'<figure class="placeholder-image master_landscape big"><img data-format="MASTER_LANDSCAPE" '
        f'data-id="{b["id"]}" data-url="{tpl}" data-aspect-ratio="16/9" alt="{attr(b["alt"])}" '
        f'style="padding-bottom: 56.25%; height: 0; max-height: 0;" src="{tpl}"><figcaption class="img-caption">'
        f'{esc(b["caption"])}<small class="copyright">Picha: {esc(b["credit"])}</small></figcaption></figure>'
    )


def rich_text_2026(spec: dict) -> str:
    """2026 serialisation: every block (figures too) on its own, separated by blank lines."""
    return rich_text(spec, figure=figure_2026, glue_figures=False)


def teaser_2026(tpl: str, spec: dict, href: str, kicker: str) -> str:
    """One real 2026 teaser (image link, title link, description link, kicker, date) re-filled."""
    t = tpl
    old_href = re.search(r'<a href="([^"]+)"', t).group(1)
    t = once(t, f'href="{old_href}"', f'href="{attr(href)}"', 3)
    t = resub(t, r'data-stats-id="\d+"', f'data-stats-id="{spec["id"]}"')
    old_title = re.search(r'title="([^"]*)" tabindex="-1" class="teaser-image', t).group(1)
    t = once(t, f'title="{old_title}"', f'title="{attr(spec["title"])}"')
    old_alt = re.search(r'<img alt="([^"]*)"', t).group(1)
    alt = spec["lead_image"]["alt"]
    t = once(t, f'alt="{old_alt}"', f'alt="{attr(alt)}"', 2)
    t = once(t, f'title="{old_alt}"', f'title="{attr(alt)}"')
    t = resub(t, r"(<h3 [^>]*><a [^>]*>)[^<]*(</a></h3>)", lambda m: m.group(1) + esc(spec["title"]) + m.group(2))
    t = resub(
        t,
        r'(<div class="teaser-description[^"]*"><a [^>]*>)[^<]*(</a></div>)',
        lambda m: m.group(1) + esc(spec["teaser"]) + m.group(2),
    )
    t = resub(t, r'(<span class="kicker[^"]*">)[^<]*(</span>)', lambda m: m.group(1) + esc(kicker) + m.group(2))
    date = spec.get("published") or spec.get("date_meta") or "{2}-{1}-{0}".format(*spec["date_legacy"].split("."))
    t = resub(
        t,
        r'(<time aria-hidden="true">)[^<]*(</time><span class="[^"]*">)[^<]*(</span>)',
        lambda m: m.group(1) + dotted_date(date) + m.group(2) + sw_long_date(date) + m.group(3),
    )
    return t


def teaser_kicker(spec: dict) -> str:
    return spec["category"]["name"]


def n26_related_sections(s: str, spec: dict, specs: dict, picks: list[tuple[str, list[int]]]) -> str:
    """The two 'More on ...' teaser sections, re-filled with mirror articles."""
    for sec_id, (headline, ids) in zip(["region", "global"], picks, strict=True):
        start = f'<section data-tracking-name="section-related-content-by-thematic-focus-{sec_id}"'
        pre, sec, post = cut(s, start, "</section>")
        old_head = re.search(r"<h2 [^>]*>([^<]*)</h2>", sec).group(1)
        sec = once(sec, f">Skip next section {old_head}</span>", f">Ruka sehemu inayofuata: {esc(headline)}</span>")
        sec = once(sec, f">{old_head}</h2>", f">{esc(headline)}</h2>")
        sec = once(sec, ">Show more<", ">Onyesha zaidi<")
        items = re.findall(
            r'<div data-tracking-list-item="true" data-tracking-name="Teaser" class="teaser-wrap">.*?'
            r"</span></span></div></div></div></div>",
            sec,
        )
        if not items:
            raise TemplateError("teasers")
        new = "".join(teaser_2026(items[0], specs[i], article_path(specs[i]), teaser_kicker(specs[i])) for i in ids)
        first = sec.index(items[0])
        last = sec.index(items[-1]) + len(items[-1])
        sec = sec[:first] + new + sec[last:]
        s = pre + sec + post
    return s


def n26_nav(s: str) -> str:
    groups = re.findall(r'<div aria-labelledby="\w+" role="group" class="[^"]*nav-group-\w+">.*?</ul></div>', s)
    if len(groups) != 3:
        raise TemplateError("2026 nav groups")
    g = groups[0]
    span_cls = re.search(r'<span id="Regions" class="([^"]*)"', g).group(1)
    a_cls = re.search(r'role="menuitem" class="([^"]*)"', g).group(1)
    div_cls = re.search(r'class="([^"]*nav-group-regionsChildren)"', g).group(1)

    def group(kind, label, items):
        lis = "".join(
            f'<li><a href="{section_path(i, slug)}" aria-posinset="{n}" aria-setsize="{len(items)}" '
            f'role="menuitem" class="{a_cls}">{esc(name)}</a></li>'
            for n, (i, slug, name) in enumerate(items, 1)
        )
        return (
            f'<div aria-labelledby="{label}" role="group" class="{div_cls.replace("regionsChildren", kind)}">'
            f'<span id="{label}" class="{span_cls}">{label}</span><ul class="group-list v1twxenm">{lis}</ul></div>'
        )

    s = once(
        s,
        groups[0],
        group("regionsChildren", "Kanda", SECTIONS_NAV_REGIONS)
        + group("categoriesChildren", "Idara", SECTIONS_NAV_CATEGORIES),
    )
    s = once(s, groups[1], "")
    return once(s, groups[2], "")


def render_2026(spec: dict, specs: dict, src: str, related_picks: list[tuple[str, list[int]]]) -> str:
    o = N26_OLD
    s = src
    lead = spec["lead_image"]
    sid = short_id(permalink_id(spec))
    title, url = spec["title"], canonical(spec)
    author = spec["authors"][0]
    s = once(
        s, '<html class="is-not-amp-page" lang="en" dir="ltr">', '<html class="is-not-amp-page" lang="sw" dir="ltr">'
    )
    s = once(s, f'<title data-rh="true">{o["title"]}</title>', f'<title data-rh="true">{esc(title)}</title>')
    s = set_link(s, "canonical", url)
    s = set_link(s, "amphtml", url.replace("https://www.", "https://amp."))
    s = set_link(s, "manifest", "/sw/manifest.json")
    for key in ("description", "og:description", "twitter:description"):
        s = set_meta(s, key, spec["teaser"])
    s = set_meta(s, "date", spec["date_meta"])
    s = set_meta(s, "og:title", title)
    s = set_meta(s, "twitter:title", title)
    s = set_meta(s, "og:url", url)
    s = set_meta(s, "twitter:site", "@dw_kiswahili")
    s = set_meta(s, "og:image:alt", lead["alt"])
    s = set_meta(s, "twitter:image:alt", lead["alt"])
    s = once(s, str(o["lead"]), str(lead["id"]), 48)
    s = once(s, ">Skip to content</span>", ">Nenda kwenye maudhui</span>")
    s = once(s, ">Skip to main menu</span>", ">Nenda kwenye orodha kuu</span>")
    s = once(s, ">Skip to more DW sites</span>", ">Nenda tovuti zaidi za DW</span>")
    s = once(
        s,
        '<a href="/en/top-stories/s-9097" title="dw.com home - Made for minds"',
        f'<a href="{HOME_PATH}" title="Ukurasa wa mwanzo wa DW - Made for minds"',
    )
    s = once(s, 'title="Open main navigation"', 'title="Fungua orodha kuu"')
    s = once(s, 'href="/en/latest-videos/st-62391524"', f'href="{VIDEO_PATH}"', 2)
    s = once(s, 'aria-label="Latest videos"', 'aria-label="Video za karibuni"', 2)
    s = once(s, '<span class="label">Latest videos</span>', '<span class="label">Video za karibuni</span>', 2)
    s = once(s, 'href="/en/latest-audio/s-62391692"', f'href="{AUDIO_PATH}"', 2)
    s = once(s, 'aria-label="Latest audio"', 'aria-label="Sauti za karibuni"', 2)
    s = once(s, '<span class="label">Latest audio</span>', '<span class="label">Sauti za karibuni</span>', 2)
    s = n26_nav(s)
    s = once(s, ">In focus</div>", ">Tunayoyaangazia</div>")
    for (old_href, old_name), (_, href, name) in zip(
        [
            ("/en/eu-migration-policy/t-65865159", "EU migration policy"),
            ("/en/iran-war/t-76168615", "Iran"),
            ("/en/fifa-world-cup/t-43747820", "FIFA World Cup"),
        ],
        FOCUS_TOPICS,
        strict=True,
    ):
        s = resub(
            s,
            f'<a href="{re.escape(old_href)}" (class="f901ogw[^"]*")>{re.escape(old_name)}</a>',
            lambda m, h=href, n=name: f'<a href="{h}" {m.group(1)}>{esc(n)}</a>',
        )
    s = once(s, 'title="Show previous page"', 'title="Onyesha ukurasa uliotangulia"')
    s = once(s, 'title="Show next page"', 'title="Onyesha ukurasa unaofuata"')
    s = once(
        s,
        'href="/en/live-tv/channel-english" title="Go to TV livestream - channel DW English"',
        f'href="{LIVE_TV_PATH}" title="Fungua matangazo ya TV ya moja kwa moja - Chaneli DW English"',
    )
    s = once(s, '<span class="label">Live TV</span>', '<span class="label">TV mubashara</span>')
    s = once(
        s,
        'href="/en/search/page-1" title="Search DW" role="link" tabindex="0" aria-label="Search DW"',
        'href="/sw/search/page-1" title="Tafuta DW" role="link" tabindex="0" aria-label="Tafuta DW"',
    )
    s = once(s, ">Advertisement</span>", ">Tangazo</span>", 3)
    # the article
    pre, a, post = cut(s, "<article ", "</article>")
    m = re.search(r'(<div data-tracking-name="content-detail-kicker" class="[^"]*">)(.*?)(</div>)', a)
    a_cls = re.search(r'tabindex="0" class="([^"]*)"', m.group(2)).group(1)
    kicker = "".join(
        f'<span><a href="{attr(k["href"])}" tabindex="0" class="{a_cls}">{esc(k["name"])}</a></span>'
        for k in [spec["category"], *spec["kicker_topics"]]
    )
    a = a.replace(m.group(0), m.group(1) + kicker + m.group(3))
    a = resub(a, r'(<h1 class="[^"]*">)[^<]*(</h1>)', lambda mm: mm.group(1) + esc(title) + mm.group(2))
    a_href = f"/sw/{author['slug']}/person-{author['id']}"
    a = once(a, f'href="{o["author_href"]}"', f'href="{a_href}"', 3)
    a = once(a, f">{o['author']}</a>", f">{esc(author['name'])}</a>", 2)
    a = once(a, f'title="{o["author"]}"', f'title="{attr(author["name"])}"')
    a = once(a, "Deutsche Welle Englisch Fußball Jonathan Harding", f"Deutsche Welle Kisuaheli {author['name']}", 3)
    a = once(a, "> Houston</span>", f">{esc(author['extra_info'])}</span>")
    a = once(a, "> Sports reporter and editor</span>", f">{esc(author['role'])}</span>")
    a = once(
        a,
        '<time aria-hidden="true">06/14/2026</time><span class="s28j2rd">June 14, 2026</span>',
        f'<time aria-hidden="true">{esc(spec["date_display"])}</time><span '
        f'class="s28j2rd">{esc(spec["date_display"])}</span>',
    )
    a = resub(
        a, r'(<p class="teaser-text[^"]*">)[^<]*(</p>)', lambda mm: mm.group(1) + esc(spec["teaser"]) + mm.group(2)
    )
    a = once(a, "Germany%20start%202026%20World%20Cup%20with%20win%20over%20Curacao", js_uri(title), 5)
    a = once(a, "https://p.dw.com/p/5FLOV", f"https://p.dw.com/p/{sid}", 10)
    for svc in N26_SHARE_SERVICES:
        a = once(
            a,
            f'title="External link — share this page with {svc}"',
            f'title="Kiungo cha nje — shiriki ukurasa huu kupitia {svc}"',
        )
    a = once(a, 'title="Show more apps"', 'title="Onyesha njia zaidi za kushiriki"')
    a = once(a, f'alt="{o["lead_alt"]}"', f'alt="{attr(lead["alt"])}"')
    a = once(a, f'title="{o["lead_alt"]}"', f'title="{attr(lead["alt"])}"')
    a = once(a, f">{o['lead_caption']}<small", f">{esc(lead['caption'])}<small")
    a = once(a, f">Image: {o['lead_credit']}</small>", f">Picha: {esc(lead['credit'])}</small>")
    pre_a, _, post_a = cut(a, 'data-tracking-name="rich-text"', '</div><footer class="c1jc41xr">')
    head = re.match(r'data-tracking-name="rich-text" class="[^"]*">', _).group(0)
    a = pre_a + head + rich_text_2026(spec) + post_a
    a = once(a, ">Send us your feedback<", ">Tutumie maoni yako<")
    a = once(a, ">Your feedback</h2>", ">Maoni yako</h2>")
    a = once(a, 'title="Close form"', 'title="Funga fomu"')
    s = pre + a + post
    # related content and topics
    s = n26_related_sections(s, spec, specs, related_picks)
    pre, rel, post = cut(s, '<section data-tracking-name="section-related-topics"', "</section>")
    rel = once(rel, ">Skip next section Related topics</span>", ">Ruka sehemu inayofuata: Mada zinazohusiana</span>")
    rel = once(rel, ">Related topics</h2>", ">Mada zinazohusiana</h2>")
    t_cls = re.search(r'<aside [^>]*><a href="[^"]*" role="link" tabindex="0" class="([^"]*)">', rel).group(1)
    links = "".join(
        f'<a href="/sw/{t["slug"]}/t-{t["id"]}" role="link" tabindex="0" class="{t_cls}">{esc(t["name"])}</a>'
        for t in spec["related_topics"]
    )
    rel = resub(rel, r"(<aside [^>]*>).*?(</aside>)", lambda mm: mm.group(1) + links + mm.group(2))
    s = pre + rel + post
    pre, foot, post = cut(s, '<footer id="footer"', "</footer>")
    foot = once(foot, '<h2 class="s28j2rd">Footer</h2>', '<h2 class="s28j2rd">Sehemu ya chini</h2>')
    for en, sw, n in N26_FOOTER_TEXT:
        foot = once(foot, en, sw, n)
    foot = resub(foot, r"https://corporate\.dw\.com/en/(?!gmf)", "https://corporate.dw.com/sw/", count=9)
    foot = once(foot, "https://learngerman.dw.com/en/overview", "https://learngerman.dw.com/sw/overview")
    return pre + foot + post


# ---------------------------------------------------------------------------
# legacy layout (before mid-2023), from the real German 2023 page
# ---------------------------------------------------------------------------
LEG_OLD = {
    "id": "65464327",
    "short": "4QgGF",
    "lead": "65453399",
    "path": "/de/ukrainische-gegenoffensive-ziele-chancen-risiken/a-65464327",
    "title": "Ukrainische Gegenoffensive: Ziele, Chancen, Risiken",
    "teaser": "Die Ukraine bereitet sich auf eine womöglich entscheidende Gegenoffensive vor, um die von Russland "
    "besetzten Gebiete zu befreien. Je länger Kiew wartet, desto besser scheinen seine Chancen. ",
}


def legacy_picbox(article_id: int, b: dict, lead: bool = False) -> str:
    if lead:  # as the real lead picture box (multi-line, before div.group)
        return (
            f'<div class="picBox full">\n<a class="overlayLink" href="#"\n'
            f'link="/overlay/image/article/{article_id}/{b["id"]}" rel="nofollow"\nstyle="cursor: pointer;">\n'
            f'<img loading="lazy" itemprop="image" src="{b["src"]}" width="700" height="394" title="{attr(b["alt"])}" '
            f'alt="{attr(b["alt"])}" /> </a>\n<p>{esc(b["caption"])}</p>\n</div>'
        )
    return (
        f'<div class="picBox full\nrechts\n"> <a class="overlayLink" href="#" link="/overlay/image/article/'
        f'{article_id}/{b["id"]}" rel="nofollow" style="cursor: pointer;"> <img loading="lazy" itemprop="image" '
        f'src="{b["src"]}" width="700" height="394" title="{attr(b["alt"])}" alt="{attr(b["alt"])}"> </a> '
        f"<p>{esc(b['caption'])}</p> </div>"
    )


def legacy_long_text(spec: dict) -> str:
    parts = []
    for b in spec["body"]:
        if b["type"] == "p":
            parts.append(f"<p>{inline(b['text'], link_class='')}</p>".replace(' class=""', ""))
        elif b["type"] in ("h2", "h3"):
            parts.append(f"<{b['type']}>{inline(b['text'], link_class='')}</{b['type']}>".replace(' class=""', ""))
        elif b["type"] == "picbox":
            parts.append(legacy_picbox(spec["id"], b))
        else:
            raise ValueError(b["type"])
    return " ".join(parts)


def legacy_small_list(spec: dict) -> str:
    topics = ", <a\n".join(f'href="/sw/{t["slug"]}/t-{t["id"]}">{esc(t["name"])}</a>' for t in spec["related_topics"])
    keywords = ",\n".join(
        f'<a href="/search/sw?languageCode=sw&origin=gN&item={quote(k, safe="")}&searchNavigationId=11588"\n'
        f'rel="nofollow">{esc(k)}</a>'
        for k in spec["keywords"]
    )
    authors = ", ".join(esc(a["name"]) for a in spec["authors"])
    return (
        f'<ul class="smallList">\n<li><strong>Tarehe</strong>\n{spec["date_legacy"]}\n</li>\n<li>\n'
        f"<strong>Mwandishi</strong>\n{authors}\n</li>\n<!-- ESI fragment of related auto topics -->\n\n<li>\n"
        f"<strong>Kurasa za mada</strong>\n<a\n{topics}\n</li>\n\n<li>\n<strong>Maneno muhimu</strong>\n"
        f"{keywords}\n</li>\n"
        f'<li><strong>Maoni</strong>: <a class="overlayLink" href="#"\nrel="nofollow"\n'
        f'link="/overlay/send_feedback/page/{spec["section"]["id"]}/{spec["id"]}">Tutumie maoni yako!</a>\n</li>\n'
        f'<li>\n<strong>Chapisha</strong>\n<a class="icon print" rel="nofollow" href="javascript:window.print()">'
        f"Chapisha ukurasa huu</a>\n</li>\n<li>\n<strong>Permalink</strong>\n{short_url(permalink_id(spec))}\n"
        "</li>\n</ul>"
    )


def legacy_nav(spec: dict) -> str:
    items = SECTIONS_NAV_REGIONS + SECTIONS_NAV_CATEGORIES
    act = spec["section"]["id"]
    flyout = "\n".join(
        f'<li><a href="{section_path(i, slug)}"\ntitle="{name}">{name}</a>\n</li>' for i, slug, name in items
    )
    act_attr = ' id="navAct2"'
    level2 = "\n".join(
        f'<li><a{act_attr if i == act else ""}\nhref="{section_path(i, slug)}"\ntitle="{name}">{name}</a></li>'
        for i, slug, name in items
    )
    return (
        f'<div id="navMain">\n<ul id="navLevel1">\n<li>\n<a id="n01" href="{HOME_PATH}"\n'
        f'title="Idhaa ya Kiswahili: habari za Afrika Mashariki na ulimwengu">HABARI</a>\n\n<div class="flyout">\n'
        f'<ul class="sitemap">\n{flyout}\n</ul>\n</div>\n</li>\n<li>\n<a href="{VIDEO_PATH}"\ntitle="Video">VIDEO</a>\n'
        f'</li>\n</ul>\n<ul id="navLevel2">\n{level2}\n</ul>\n</div>\n'
    )


def legacy_footer() -> str:
    sections = "\n".join(
        f'<li><a href="{section_path(i, slug)}"\ntitle="{name}">{name}</a></li>'
        for i, slug, name in SECTIONS_NAV_REGIONS + SECTIONS_NAV_CATEGORIES
    )
    return (
        f'<div id="footerBody">\n<ul class="footer">\n<li><a style="font-weight: bold;" href="{HOME_PATH}"\n'
        f'title="Idhaa ya Kiswahili">HABARI</a>\n</li>\n{sections}\n</ul>\n<ul class="footer">\n'
        f'<li><a style="font-weight: bold;" href="https://corporate.dw.com/sw/unternehmen/profil/s-30626"\n'
        f'title="KUHUSU DW">KUHUSU DW</a>\n</li>\n<li><a href="https://corporate.dw.com/sw/presse/s-2981"\n'
        f'title="Vyombo vya habari">Vyombo vya habari</a></li>\n<li><a href="https://corporate.dw.com/sw/faq/s-30582"\n'
        f'title="Maswali">Maswali</a></li>\n<li><a href="https://corporate.dw.com/sw/kontakt/s-30583"\n'
        f'title="Wasiliana nasi">Wasiliana nasi</a></li>\n</ul>\n<p id="copyright">\n© 2023 Deutsche Welle |\n'
        f'<a href="{LEGAL_LINKS["privacy"]}">Sera ya faragha</a> |\n'
        f'<a href="{LEGAL_LINKS["accessibility"]}">Taarifa ya ufikivu</a> |\n'
        f'<a href="{LEGAL_LINKS["legal"]}">Taarifa za kisheria</a> |\n'
        f'<a href="https://corporate.dw.com/sw/kontakt/s-30583">Wasiliana nasi</a>\n'
    )


def render_legacy(spec: dict, src: str) -> str:
    o = LEG_OLD
    s = src
    cid, title, path = str(spec["id"]), spec["title"], article_path(spec)
    sec = spec["section"]
    lead = spec["lead_image"]
    s = once(s, '<html lang="de"', '<html lang="sw"', 5)
    s = once(s, o["path"], path, 5)  # canonical, amphtml, alternate, og:url, mobile version link
    s = once(s, quote("http://www.dw.com" + o["path"], safe=""), quote("http://www.dw.com" + path, safe=""), 4)
    s = once(s, quote("https://www.dw.com" + o["path"], safe=""), quote("https://www.dw.com" + path, safe=""))
    s = once(s, '<meta name="language" content="de_DE">', '<meta name="language" content="sw_TZ">')
    s = set_meta(s, "keywords", ",".join(spec["keywords"]))
    s = set_meta(s, "news_keywords", ",".join(spec["keywords"]))
    s = set_meta(s, "description", spec["teaser"])
    s = set_meta(s, "og:description", spec["teaser"])
    s = set_meta(s, "og:title", f"{title} | DW | {spec['date_legacy']}")
    s = set_meta(s, "twitter:title", title)
    s = set_meta(s, "twitter:site", "@dw_kiswahili")
    s = once(s, f"https://static.dw.com/image/{o['lead']}_6.jpg", f"https://static.dw.com/image/{lead['id']}_6.jpg", 2)
    s = once(
        s,
        f"<title>{o['title']} | Europa | DW | 28.04.2023</title>",
        f"<title>{esc(title)} | {sec['name']} | DW | {spec['date_legacy']}</title>",
    )
    s = once(s, "'19990023'", f"'{spec['category']['origin_id']}'")
    s = once(s, '"19990023"', f'"{spec["category"]["origin_id"]}"', 2)
    s = once(s, "x15=19990023", f"x15={spec['category']['origin_id']}", 2)
    s = once(s, "de-rss-de-all-1119-xml-mrss", MACA, 4)
    s = once(s, "THEMEN::Welt::Europa", f"KISWAHILI::{sec['name']}", 6)
    s = once(s, quote(o["title"] + " ", safe="").replace("%20", "+"), quote(title, safe="").replace("%20", "+"), 5)
    s = once(s, js_uri(o["title"] + " "), js_uri(title), 13)
    s = once(s, "x4=12322", f"x4={sec['id']}", 2)
    s = once(s, 'structureId: "12322"', f'structureId: "{sec["id"]}"')
    s = once(s, "4: 12322,", f"4: {sec['id']},")
    # cookie banner, quick jump, language selector, meta navigation
    s = once(
        s,
        "Wir verwenden Cookies, um unser Angebot für Sie zu verbessern. Mehr Informationen dazu finden Sie in "
        "unserer Datenschutzerklärung.",
        "Tunatumia vidakuzi (cookies) kuboresha huduma zetu. Maelezo zaidi yanapatikana katika sera yetu ya faragha.",
    )
    s = once(s, 'href="/a-18265186">Mehr Infos</a>', f'href="{LEGAL_LINKS["privacy"]}">Maelezo zaidi</a>')
    s = once(s, 'id="Inhalt">Inhalt</a>', 'id="Inhalt">Maudhui</a>')
    s = once(s, 'id="Navigation">Navigation</a>', 'id="Navigation">Orodha kuu</a>')
    s = once(s, 'id="asideLink">Weitere Inhalte</a>', 'id="asideLink">Maudhui zaidi</a>')
    s = once(s, 'id="metanavigationLink">Metanavigation</a>', 'id="metanavigationLink">Viungo vya DW</a>')
    s = once(s, 'id="sucheLink">Suche</a>', 'id="sucheLink">Tafuta</a>')
    s = once(s, 'id="languageLink" xml:lang="de" lang="de"', 'id="languageLink" xml:lang="sw" lang="sw"')
    s = once(s, 'data-lang="de-DE"\nclass="ici">', 'data-lang="de-DE"\n>')
    s = once(s, 'data-lang="sw-TZ"\n>', 'data-lang="sw-TZ"\nclass="ici">')
    s = once(
        s,
        "DW.COM hat Deutsch als Spracheinstellung für Sie gewählt.",
        "DW.COM imekuchagulia Kiswahili kama lugha yako.",
    )
    s = once(
        s,
        '<a href="https://akademie.dw.com/de/start/s-8101"\ntitle="DW AKADEMIE">',
        '<a href="https://akademie.dw.com/en/home/s-9519"\ntitle="DW AKADEMIE">',
    )
    s = once(
        s,
        '<a href="https://corporate.dw.com/de/unternehmen/profil/s-30626"\ntitle="UNTERNEHMEN">Unternehmen</a>',
        '<a href="https://corporate.dw.com/sw/unternehmen/profil/s-30626"\ntitle="KUHUSU DW">Kuhusu DW</a>',
    )
    s = once(
        s,
        '<a href="/de/themen/s-9077"\ntitle="Nachrichten & Analysen: der globale Blick auf Schlagzeilen">DW.COM</a>',
        f'<a href="{HOME_PATH}"\ntitle="Idhaa ya Kiswahili">DW.COM</a>',
    )
    s = once(
        s,
        '<a href="/de/themen/s-9077" title="Nachrichten & Analysen: der globale Blick auf Schlagzeilen">\n'
        "Deutsche Welle\n</a>",
        f'<a href="{HOME_PATH}" title="Idhaa ya Kiswahili">\nDeutsche Welle\n</a>',
    )
    s = once(s, 'action="/search/de"', 'action="/search/sw"')
    s = once(s, 'name="searchNavigationId"\nvalue="9077"', 'name="searchNavigationId"\nvalue="11588"')
    s = once(s, 'name="languageCode" value="de"', 'name="languageCode" value="sw"')
    s = once(s, 'placeholder="THEMEN durchsuchen"', 'placeholder="Tafuta habari"')
    pre, _, post = cut(s, '<div id="navMain">', "<!-- breadcrumbs navigation: -->")
    s = pre + legacy_nav(spec) + post
    pre, _, post = cut(s, '<div id="navPath">', "</div>")
    s = (
        pre + f'<div id="navPath">\n<a href="{HOME_PATH}" title="Idhaa ya Kiswahili">\nHABARI\n</a>\n/\n'
        f'<a href="{section_path(sec["id"], sec["slug"])}" title="{sec["name"]}">\n{sec["name"]}\n</a>\n' + post
    )
    s = once(s, '<div class="adHeadline">Anzeige</div>', '<div class="adHeadline">Tangazo</div>')
    # article column
    pre, body, post = cut(s, '<div id="bodyContent">', "<!-- Footer -->")
    body = once(
        body,
        '<h4 class="artikel">Krieg in der Ukraine</h4>',
        f'<h4 class="artikel">{esc(spec["category"]["name"])}</h4>',
    )
    body = once(body, f"<h1>{o['title']} </h1>", f"<h1>{esc(title)} </h1>")
    body = once(body, f'<p class="intro">{o["teaser"]}</p>', f'<p class="intro">{esc(spec["teaser"])}</p>')
    body = once(body, f"%2Fp%2F{o['short']}%3Fmaca%3Dde-", f"%2Fp%2F{short_id(permalink_id(spec))}%3Fmaca%3Dsw-", 8)
    body = once(body, "%3Fmaca%3Dde-EMail-sharing", "%3Fmaca%3Dsw-EMail-sharing")
    body = once(body, f"'{o['id']}'", f"'{cid}'", 8)
    pre_b, _, post_b = cut(body, '<div class="picBox full">', '<div class="group">\n<div class="longText">')
    body = pre_b + legacy_picbox(spec["id"], lead, lead=True) + "\n" + post_b
    pre_b, _, post_b = cut(body, '<div class="longText">', '\n</div>\n</div>\n<div style="clear:both; height:0;')
    body = pre_b + '<div class="longText">\n' + legacy_long_text(spec) + post_b
    pre_b, _, post_b = cut(body, "<h4>Die Redaktion empfiehlt</h4>", '<div class="group">\n<ul class="smallList">')
    media = f"/overlay/media/sw/wakimbizi-wa-sudan-wakimbilia-chad/{spec['id'] - 2}/{spec['id']}"
    body = (
        pre_b + '<h4>Sauti na video kuhusu mada hii</h4>\n<div class="group">\n<div class="lineExtra"></div>\n'
        f'<div class="linkList overlayIcon">\n<a href="{media}" rel="nofollow" class="overlayLink" link="{media}">\n'
        "<h2>\nWakimbizi wa Sudan wakimbilia Chad\n<span class='icon tv'></span> </h2>\n</a>\n</div>\n</div>\n" + post_b
    )
    lists = re.findall(r'<ul class="smallList">.*?</ul>', body, flags=re.S)
    if len(lists) != 2:
        raise TemplateError("legacy smallList")
    for ul in lists:
        body = once(body, ul, legacy_small_list(spec))
    pre_b, _, post_b = cut(body, '<h4 class="meta">Mehr zum Thema</h4>', "\n</div>\n\n</div>\n<!-- RECHTE SPALTE")
    av = f"/sw/wakimbizi-wa-sudan-wakimbilia-chad/av-{spec['id'] - 2}"
    body = (
        pre_b + '<h4 class="meta">Zaidi kuhusu mada hii</h4>\n'
        f'<div class="col1" data-id="{spec["id"] - 2}">\n<div class="news">\n<a href="{av}">\n<div class="teaserImg">\n'
        f'<img loading="lazy" itemprop="image" src="https://static.dw.com/image/{spec["id"] - 1501}_301.jpg" '
        'width="220" '
        'height="124" title="Sudan Flüchtlinge im Tschad" alt="Sudan Flüchtlinge im Tschad">\n</div>\n<h2 class="">\n'
        f'Wakimbizi wa Sudan wakimbilia Chad\n<span class="date">{spec["date_legacy"]}</span>\n</h2>\n'
        "<p>Maelfu ya watu wanavuka mpaka kuingia Chad wakikimbia mapigano. <span class='icon tv'></span>\n</p>\n"
        "</a>\n</div>\n</div>" + post_b
    )
    s = pre + body + post
    pre, _, post = cut(s, '<div id="footerBody">', '| <a id="mobilePreferredLink"')
    s = pre + legacy_footer() + post
    s = once(s, ">Mobile Version</a>", ">Toleo la simu</a>")
    s = once(s, o["id"], cid, 5)  # tracking variables (x3=, pageId, pageID, customVars 3:)
    if o["short"] in s or s.count("/de/") != 1:  # the one /de/ link left is the language selector's
        raise TemplateError("legacy: old id or German link left")
    return s


# ---------------------------------------------------------------------------
# home and section pages: the 2024 shell (head, navigation, footer) around teaser lists.
# No real section page was available; the teaser markup is the real 2026 teaser
# (div.teaser-wrap > div.teaser: image link, h3.title link, description link, kicker, date).
# ---------------------------------------------------------------------------
def load_sections() -> dict:
    return json.loads(read(CONTENT / "sections.json"))


def teaser_template(src_2026: str) -> str:
    m = re.search(
        r'<div data-tracking-list-item="true" data-tracking-name="Teaser" class="teaser-wrap">.*?'
        r"</span></span></div></div></div></div>",
        src_2026,
    )
    return m.group(0)


def pseudo_spec(item: dict) -> dict:
    """A non-article teaser target (video, audio, live, gallery, deleted article)."""
    return {
        "id": item["id"],
        "title": item["title"],
        "teaser": item["teaser"],
        "lead_image": {"alt": item["alt"]},
        "published": item["date"],
        "category": {"name": item["kicker"]},
    }


def teaser_list(tpl: str, entries: list[dict], specs: dict) -> str:
    out = []
    for e in entries:
        spec = specs[e["article"]] if "article" in e else pseudo_spec(e["item"])
        out.append(teaser_2026(tpl, spec, e["href"], teaser_kicker(spec)))
    return "".join(out)


# ---------------------------------------------------------------------------
# a section whose teaser list is filled by JavaScript (like DW's "show more" lists): the static
# HTML has an empty list, the teasers are data in <script type="application/json" id="more-teasers">
# (each teaser's markup as a DOM tree, its link target as slug + id + query) and a small ES5 script
# builds them when the page loads. No article URL is in the static HTML, not even as text.
# ---------------------------------------------------------------------------
VOID_TAGS = {"img", "br", "hr", "source", "input", "meta", "link", "wbr"}
JS_LINK_SENTINEL = "#js-teaser-link"


class _DomTree(HTMLParser):
    """HTML fragment -> nested {"tag", "attrs", "link", "children"} dicts (text children are strings)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: dict = {"children": []}
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        link = any(k == "href" and v == JS_LINK_SENTINEL for k, v in attrs)
        node = {"tag": tag, "attrs": [[k, v or ""] for k, v in attrs if k != "href" or not link], "children": []}
        if link:
            node["link"] = True
        self.stack[-1]["children"].append(node)
        if tag not in VOID_TAGS:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID_TAGS:
            self.stack.pop()

    def handle_endtag(self, tag):
        if tag in VOID_TAGS:
            return
        if self.stack[-1].get("tag") != tag:
            raise TemplateError(f"teaser markup: </{tag}> closes <{self.stack[-1].get('tag')}>")
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1]["children"].append(data)


def dom_tree(fragment: str) -> dict:
    parser = _DomTree()
    parser.feed(fragment)
    parser.close()
    if len(parser.stack) != 1 or len(parser.root["children"]) != 1:
        raise TemplateError("teaser markup: not one closed element")
    return parser.root["children"][0]


def count_links(node) -> int:
    if isinstance(node, str):
        return 0
    return int(bool(node.get("link"))) + sum(count_links(c) for c in node["children"])


# ES5 only (runs in Splash 3.5's QtWebKit 5.212): no arrow functions, template literals, let/const, fetch.
MORE_TEASERS_JS = """(function () {
  function build(node, href) {
    if (typeof node === "string") {
      return document.createTextNode(node);
    }
    var el = document.createElement(node.tag);
    var i;
    if (node.link) {
      el.setAttribute("href", href);
    }
    for (i = 0; i < node.attrs.length; i++) {
      el.setAttribute(node.attrs[i][0], node.attrs[i][1]);
    }
    for (i = 0; i < node.children.length; i++) {
      el.appendChild(build(node.children[i], href));
    }
    return el;
  }
  function showMore() {
    var blob = document.getElementById("more-teasers");
    var list = document.getElementById("teasers").querySelector("[data-tracking-list]");
    if (!blob || !list || list.getAttribute("data-loaded") === "true") {
      return;
    }
    var data = JSON.parse(blob.textContent);
    for (var i = 0; i < data.teasers.length; i++) {
      var t = data.teasers[i];
      var href = "/" + data.lang + "/" + t.slug + "/a-" + t.id + (t.query || "");
      list.appendChild(build(t.dom, href));
    }
    list.setAttribute("data-loaded", "true");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", showMore, false);
  } else {
    showMore();
  }
}());"""


def js_teasers(tpl: str, entries: list[dict], specs: dict) -> str:
    """The JSON blob and the script that turns it into teasers (see above)."""
    teasers = []
    for e in entries:
        spec = specs[e["article"]]
        tree = dom_tree(teaser_2026(tpl, spec, JS_LINK_SENTINEL, teaser_kicker(spec)))
        if count_links(tree) != 3:
            raise TemplateError("JS teaser: expected 3 links")
        teasers.append({"id": spec["id"], "slug": e["slug"], "query": e["query"], "dom": tree})
    blob = state_json({"lang": "sw", "teasers": teasers})
    if re.search(r"/a-\d", blob) or JS_LINK_SENTINEL in blob:
        raise TemplateError("JS teaser data holds an article path")
    return f'<script type="application/json" id="more-teasers">{blob}</script><script>\n{MORE_TEASERS_JS}\n</script>'


def render_section(sec: dict, specs: dict, src: str, src_2026: str) -> str:
    tpl = teaser_template(src_2026)
    path = section_path(sec["id"], sec["slug"])
    url = SITE + path
    first = specs[(sec["teasers"] or sec["js_teasers"])[0]["article"]]
    page_data = cur_page_data(
        level2=sec["name"],
        title=sec["name"],
        oid=sec["id"],
        ctype=3,
        date="2023-09-25",
        regions=[],
        topic_ids=[],
        sid=sec["id"],
        url=url,
        meta_regions="",
        meta_topics="",
    )
    title = (
        f"{sec['name']} | DW Kiswahili"
        if sec["id"] != 11588
        else "DW Kiswahili | Habari za Afrika Mashariki na ulimwengu"
    )
    s = cur_shell(
        src,
        title=title,
        canonical_url=url,
        amp_url=url.replace("https://www.", "https://amp."),
        description=sec["description"],
        og_title=title,
        twitter_title=title,
        image=first["lead_image"],
        page_data=page_data,
        ld=None,
    )
    blocks = [("teasers", sec["headline"], teaser_list(tpl, sec["teasers"], specs))]
    if sec.get("media"):
        blocks.append(("media", "Video na sauti", teaser_list(tpl, sec["media"], specs)))
    html_blocks = []
    for key, headline, teasers in blocks:
        html_blocks.append(
            f'<section data-tracking-name="section-{key}" id="{key}" class="sc-gUkKNk gVJsek sc-fWzlon jymMRe">'
            f'<div class="content-block"><h2 class="sc-iJfdHH sc-cCIIiH sc-jIQHsi sc-bTLJel cmgBOB kzaFDA VsLvM ibRuvq '
            f'sc-htehxa lbNWIg has-italic">{esc(headline)}</h2><div data-tracking-list="true" class="eba69yy edzqfrc">'
            f"{teasers}</div></div></section>"
        )
    if sec.get("js_teasers"):
        html_blocks.append(js_teasers(tpl, sec["js_teasers"], specs))
    if sec.get("links"):
        links = "".join(
            f'<a href="{attr(x["href"])}" class="sc-iJfdHH sc-gisvNi sc-bYUneI cmgBOB cACDTp jbxftw sc-AOXSc '
            f'sc-hTJqdO sc-jeWJQQ igKUDB igRpOc jRzoz sc-PtJch jNhBCm has-italic" role="button" tabindex="0">'
            f"{esc(x['text'])}</a>"
            for x in sec["links"]
        )
        html_blocks.append(
            '<section data-tracking-name="section-links" id="links" class="sc-gUkKNk gVJsek sc-fWzlon jymMRe">'
            '<div class="content-block"><h2 class="sc-iJfdHH sc-cCIIiH sc-jIQHsi sc-bTLJel cmgBOB kzaFDA VsLvM ibRuvq '
            f'sc-htehxa lbNWIg has-italic">Zaidi kutoka DW</h2><aside class="sc-dktgqL kgROPw start">{links}</aside>'
            "</div></section>"
        )
    main = (
        f'{CUR_MAIN_START}<h1 class="sc-iJfdHH sc-ilpitK sc-ZiJuh sc-jNRKYE cmgBOB fCpiJW kjZMfA cobMlZ has-italic">'
        f"{esc(sec['name'])}</h1>{''.join(html_blocks)}</div></section></div>"
    )
    pre, _, post = cut(s, CUR_MAIN_START, CUR_FOOTER_START)
    s = pre + main + post
    state = {
        "ROOT_QUERY": {
            "__typename": "Query",
            f'content({{"id":{sec["id"]},"lang":"KISWAHILI"}})': ref(f"Navigation:{sec['id']}"),
        },
        f"Navigation:{sec['id']}": {
            "__typename": "Navigation",
            "id": sec["id"],
            "name": sec["name"],
            "namedUrl": path,
            "canonicalUrl": url,
            "language": "KISWAHILI",
        },
    }
    pre, _, post = cut(s, CUR_STATE_START, "</script>")
    return pre + "<script> window.__APOLLO_STATE__=" + state_json(state) + "; " + post


# ---------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------
ROBOTS = "User-agent: *\nDisallow: /sw/kumbukumbu/\nDisallow: /*/search\n\nSitemap: https://www.dw.com/sitemap.xml\n"


def build() -> dict[Path, bytes | Path]:
    """Every generated file, path -> bytes (nothing is written here)."""
    specs = load_articles()
    sections = load_sections()
    src_cur, src_2026, src_legacy = read(TPL_CURRENT), read(TPL_2026), read(TPL_LEGACY)
    out: dict[Path, bytes | Path] = {HERE / "robots.txt": ROBOTS.encode()}
    for cid, spec in sorted(specs.items()):
        layout = spec["layout"]
        if layout == "current":
            page = render_current(spec, specs, src_cur)
        elif layout == "2026":
            picks = [(h, ids) for h, ids in sections["related_2026"][str(cid)]]
            page = render_2026(spec, specs, src_2026, picks)
        elif layout == "legacy":
            page = render_legacy(spec, src_legacy)
        else:
            raise ValueError(layout)
        out[HERE / "sw" / f"a-{cid}.html"] = page.encode("utf-8")
        out[HERE / "sw" / f"a-{cid}.expected.json"] = dump_expected(expected_for(spec)).encode("utf-8")
    for sec in sections["sections"]:
        out[HERE / "sw" / f"s-{sec['id']}.html"] = render_section(sec, specs, src_cur, src_2026).encode("utf-8")
    for name, target in REFERENCE_COPIES.items():
        out[HERE / target] = REF_PAGES / name  # a symbolic link to the real page, not a second copy
    return out


def main(argv: list[str]) -> int:
    check = "--check" in argv
    files = build()
    stale = []
    for path, data in sorted(files.items()):
        if isinstance(data, Path):
            link = os.path.relpath(data, path.parent)
            if path.is_symlink() and os.readlink(path) == link:
                continue
            stale.append(path)
            if not check:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.unlink(missing_ok=True)
                path.symlink_to(link)
            continue
        if path.exists() and path.read_bytes() == data:
            continue
        stale.append(path)
        if not check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    for path in stale:
        print(("would change: " if check else "wrote: ") + str(path.relative_to(REPO)))
    if check and stale:
        return 1
    print(f"{len(files)} files, {len(stale)} {'stale' if check else 'written'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
