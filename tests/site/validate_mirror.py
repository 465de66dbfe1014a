#!/usr/bin/env python3
"""Check the mirror in tests/site/ (independent of dwnews/ and of build_mirror.py's content).

    python tests/site/validate_mirror.py             # all checks, exit 1 on any problem
    python tests/site/validate_mirror.py --draft F   # print what this reader extracts from page F

What it checks:
- every .html parses with lxml, every .expected.json loads and has the documented keys in order;
- each article page, read with lxml and the body/field rules in README.md, gives its .expected.json
  (this is a second, independent reading of the HTML: the expected files for Kiswahili pages are written
  from the content definitions, the ones for the real pages by hand);
- short links on the page (and permaLinkUrl in the state) agree with the content id, except
  sw/a-68700002 which by design shows the short link of 68700003;
- no expected body contains image alt text, a caption, a credit or a "Picha:"/"Bild:"/"Image:" line;
- the seed article's paragraphs are verbatim lines of tests/fixtures/seed_4WK2B.txt;
- link closure: every same-site /sw/ link to an a-/s- page has a file, except the deliberate 404
  /sw/habari-iliyoondolewa/a-66899999; reachability from the home page honours robots.txt;
- the JavaScript section sw/s-12762: its static HTML has an empty teaser list and no article URL at all
  (no href, no "/a-<digits>" text except off-site links), its JSON blob's teasers (slug + id + query, joined
  here as the page's script joins them) all have files, the script is plain ES5, nothing links to the
  section, and a-68800001/a-68800002 are linked from nowhere else (reachable only by running the script).
"""

from __future__ import annotations

import json
import re
import sys
from collections import deque
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from lxml import html

HERE = Path(__file__).resolve().parent
SEED = HERE.parent / "fixtures" / "seed_4WK2B.txt"
KEYS = [
    "short_id",
    "short_url",
    "content_id",
    "url",
    "language",
    "content_type",
    "title",
    "teaser",
    "body",
    "subheadings",
    "category",
    "category_id",
    "topics",
    "authors",
    "editors",
    "agencies",
    "published",
    "modified",
    "images",
    "word_count",
]
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
PERMALINK_MISMATCH = {68700002: 68700003}
KNOWN_404 = {"/sw/habari-iliyoondolewa/a-66899999"}
READ_MORE = re.compile(r"^(Soma pia|Soma zaidi|Read more|Mehr zum Thema)\s*:", re.I)
EDITOR = re.compile(r"^(Mhariri|Edited by)\s*:\s*(.+)$", re.I)
AGENCIES = re.compile(r"^(?:[a-z]{1,4}(?:/[a-z]{1,4})*\s*)?\(([A-Za-z ,.\-]+)\)$")
CREDIT = re.compile(r"^\s*(Picha|Bild|Image)\s*:\s*", re.I)
PAGE_RE = re.compile(r"^/([a-z-]+)/(?:[^/]+/)*([a-z]+)-(\d+)$")
JS_SECTION = "s-12762"  # teasers built by JavaScript from a JSON blob; linked from no page
JS_SECTION_PATH = "/sw/habari-zaidi/s-12762"
JS_TEASERS = {68800001, 68800002, 66808855}
JS_ONLY = {"a-68800001", "a-68800002"}  # linked only from the JS-built teasers of s-12762
NOT_ES5 = re.compile(r"=>|`|\bfetch\s*\(|\b(?:let|const|class|async|await)\s|\.\.\.")


def short_id(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out


def text(el) -> str:
    return " ".join(el.text_content().split())


def iso_z(value: str | None) -> str | None:
    if not value:
        return None
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?Z", value)
    return m.group(1) + "Z" if m else None


def in_any(el, tags: set[str], classes: set[str]) -> bool:
    return any(anc.tag in tags or classes & set((anc.get("class") or "").split()) for anc in el.iterancestors())


def trim_tail(paras: list[str]) -> tuple[list[str], list[str], list[str]]:
    """Drop the final editor / agencies paragraphs; return (paras, editors, agencies)."""
    editors: list[str] = []
    agencies: list[str] = []
    while paras:
        last = paras[-1]
        m = EDITOR.match(last)
        if m:
            editors.insert(0, m.group(2).strip())
            paras = paras[:-1]
            continue
        m = AGENCIES.match(last)
        if m:
            agencies = [a.strip() for a in m.group(1).split(",") if a.strip()] + agencies
            paras = paras[:-1]
            continue
        break
    return paras, editors, agencies


def figure_info(fig, lead_id: str | None = None) -> dict:
    img = fig.find(".//img")
    if lead_id is None:
        url = img.get("data-url").replace("${formatId}", "6")
    else:
        url = f"https://static.dw.com/image/{lead_id}_6.jpg"
    cap_el = fig.find(".//figcaption")
    small = cap_el.find(".//small") if cap_el is not None else None
    credit = CREDIT.sub("", text(small)).strip() if small is not None else None
    caption = text(cap_el) if cap_el is not None else ""
    if small is not None:
        caption = (
            " ".join((cap_el.text or "").split()) if len(cap_el) == 1 else caption.replace(text(small), "").strip()
        )
    return {"url": url, "caption": caption or None, "credit": credit or None}


def read_state(source: str) -> dict | None:
    m = re.search(r"window\.(__APOLLO_STATE__|__APP_STATE__)\s*=\s*(\{.*?\});\s*</script>", source, re.S)
    return json.loads(m.group(2)) if m else None


def extract_current(doc, source: str, url_lang: str) -> dict:
    state = read_state(source)
    article = None
    if state:
        article = next(v for k, v in state.items() if k.startswith("Article:") and "text" in v)
    ld = None
    for script in doc.xpath('//script[@type="application/ld+json"]'):
        ld = json.loads(script.text)
    canonical = doc.xpath('//link[@rel="canonical"]/@href')[0]
    cid = int(re.search(r"/a-(\d+)$", canonical).group(1))
    kicker = doc.cssselect('[data-tracking-name="content-detail-kicker"]')[0]
    k_items = [text(x) for x in kicker if x.tag == "span"]
    rich = doc.cssselect("div.rich-text")[0]
    paras, subheads = [], []
    for el in rich.iter("p", "h2", "h3", "li"):
        if in_any(el, {"figure", "blockquote"}, {"advertisement", "rich-text-ad", "embed"}):
            continue
        t = text(el)
        if not t or READ_MORE.match(t):
            continue
        paras.append(t)
        if el.tag in ("h2", "h3"):
            subheads.append(t)
    paras, editors, agencies = trim_tail(paras)
    topics: list[str] = []
    for t in k_items[1:] + [text(a) for a in doc.cssselect('section#related-topics aside a[href*="/t-"]')]:
        if t not in topics:
            topics.append(t)
    details = doc.cssselect(".author-details")
    authors = []
    if details:
        authors = [text(x) for x in details[0].cssselect("span.author, a.author-link")]
    if ld:
        published, modified = iso_z(ld.get("datePublished")), iso_z(ld.get("dateModified"))
    else:
        meta = doc.xpath('//meta[@name="date"]/@content | //meta[@name="date"]/@value')
        published, modified = iso_z(meta[0]) if meta else None, None
    images = []
    content_area = doc.cssselect("article .content-area")[0]
    for fig in content_area.iter("figure"):
        if in_any(fig, set(), {"rich-text"}) or "placeholder-image" in (fig.get("class") or ""):
            continue
        srcset = fig.find(".//img").get("srcset") or fig.find(".//img").get("srcSet")
        images.append(figure_info(fig, re.search(r"/image/(\d+)_", srcset).group(1)))
        break
    images += [figure_info(f) for f in rich.cssselect("figure.placeholder-image")]
    body = "\n\n".join(paras)
    return {
        "short_id": short_id(cid),
        "short_url": "https://p.dw.com/p/" + short_id(cid),
        "content_id": cid,
        "url": canonical,
        "language": doc.get("lang"),
        "content_type": "article",
        "title": text(doc.cssselect("header h1")[0]),
        "teaser": text(doc.cssselect("p.teaser-text")[0]),
        "body": body,
        "subheadings": subheads,
        "category": k_items[0],
        "category_id": article["categories"][0]["originId"] if article else None,
        "topics": topics,
        "authors": authors,
        "editors": editors,
        "agencies": agencies,
        "published": published,
        "modified": modified,
        "images": images,
        "word_count": len(body.split()),
        "_short_links": [text(x) for x in doc.cssselect(".copy-button-wrapper")]
        + ([article["permaLinkUrl"]] if article else []),
    }


def extract_legacy(doc) -> dict:
    canonical = doc.xpath('//link[@rel="canonical"]/@href')[0]
    cid = int(re.search(r"/a-(\d+)$", canonical).group(1))
    long_text = doc.cssselect("div.longText")[0]
    paras, subheads = [], []
    for el in long_text:
        if el.tag not in ("p", "h2", "h3"):
            continue
        t = text(el)
        if not t or READ_MORE.match(t):
            continue
        links = el.findall("a")
        if len(links) == 1 and "newsletter" in (links[0].get("href") or "") and text(links[0]) == t:
            continue  # a paragraph that is only the newsletter sign-up link is an advert
        paras.append(t)
        if el.tag != "p":
            subheads.append(t)
    paras, editors, agencies = trim_tail(paras)
    small = doc.cssselect("ul.smallList")[0]
    fields = {}
    for li in small.findall("li"):
        strong = li.find("strong")
        if strong is None:
            continue
        fields[text(strong)] = li
    date = author = None
    topics, permalink = [], None
    for label, li in fields.items():
        value = " ".join(((li.text_content() or "").replace(label, "", 1)).split())
        if label in ("Datum", "Date", "Tarehe"):
            date = value
        elif label in ("Autorin/Autor", "Author", "Mwandishi"):
            author = value
        elif label == "Permalink":
            permalink = value
        elif li.cssselect('a[href*="/t-"]'):
            topics = [text(a) for a in li.cssselect('a[href*="/t-"]')]
    d, m, y = date.split(".")
    images = []

    def pic(box) -> dict:
        img = box.find(".//img")
        src = img.get("src")
        url = src if src.startswith("http") else "https://static.dw.com" + src
        cap = box.find("p")
        return {"url": url, "caption": (text(cap) if cap is not None else "") or None, "credit": None}

    col = doc.cssselect("#bodyContent div.col3")[0]
    lead = [b for b in col.findall("div") if "picBox" in (b.get("class") or "")]
    images += [pic(b) for b in lead[:1]]
    images += [pic(b) for b in long_text.findall("div") if "picBox" in (b.get("class") or "")]
    body = "\n\n".join(paras)
    lang = doc.xpath('//meta[@name="language"]/@content')[0].split("_")[0]
    return {
        "short_id": short_id(cid),
        "short_url": "https://p.dw.com/p/" + short_id(cid),
        "content_id": cid,
        "url": canonical,
        "language": lang,
        "content_type": "article",
        "title": text(doc.cssselect("#bodyContent h1")[0]),
        "teaser": text(doc.cssselect("p.intro")[0]),
        "body": body,
        "subheadings": subheads,
        "category": text(doc.cssselect("h4.artikel")[0]),
        "category_id": None,
        "topics": topics,
        "authors": [author] if author else [],
        "editors": editors,
        "agencies": agencies,
        "published": f"{y}-{m}-{d}",
        "modified": None,
        "images": images,
        "word_count": len(body.split()),
        "_short_links": [permalink] if permalink else [],
    }


def extract(path: Path) -> dict:
    source = path.read_text("utf-8")
    doc = html.fromstring(source)
    if doc.cssselect("div.longText") and doc.cssselect("h4.artikel"):
        return extract_legacy(doc)
    return extract_current(doc, source, path.parent.name)


def check_article(path: Path, problems: list[str]) -> None:
    exp_path = path.with_suffix(".expected.json")
    expected = json.loads(exp_path.read_text("utf-8"))
    if list(expected) != KEYS:
        problems.append(f"{exp_path.name}: keys {list(expected)}")
    got = extract(path)
    short_links = got.pop("_short_links")
    # expected files hold the exported text, which follows the project's quote convention
    for key in ("title", "teaser", "body"):
        got[key] = exported_quotes(got[key])
    got["subheadings"] = [exported_quotes(h) for h in got["subheadings"]]
    for key in KEYS:
        if got[key] != expected[key]:
            problems.append(
                f"{path.parent.name}/{path.name}: {key}: page gives {got[key]!r}, expected {expected[key]!r}"
            )
    cid = expected["content_id"]
    if expected["short_id"] != short_id(cid):
        problems.append(f"{exp_path.name}: short_id does not match id")
    shown = PERMALINK_MISMATCH.get(cid, cid)
    for link in short_links:
        if link != "https://p.dw.com/p/" + short_id(shown):
            problems.append(f"{path.name}: short link {link} for id {cid}")
    if not short_links:
        problems.append(f"{path.name}: no short link on the page")
    # no image text in the body
    doc = html.fromstring(path.read_text("utf-8"))
    body_paras = set(expected["body"].split("\n\n"))
    for img in doc.iter("img"):
        alt = " ".join((img.get("alt") or "").split())
        if alt and alt in body_paras:
            problems.append(f"{path.name}: alt text in body: {alt!r}")
    for im in expected["images"]:
        for part in (im["caption"], im["credit"]):
            if part and any(part in p for p in body_paras):
                problems.append(f"{path.name}: caption/credit in body: {part!r}")
    if re.search(r"(^|\n)[^\n]*(Picha|Bild|Image):", expected["body"]):
        problems.append(f"{path.name}: credit line in body")


def exported_quotes(text: str | None) -> str | None:
    """README "Text conventions": '' and typographic double quotes are exported as '"'."""
    if text is None:
        return None
    return re.sub("'{2,}", '"', text.replace("\u201c", '"').replace("\u201d", '"'))


def check_seed(problems: list[str]) -> None:
    lines = {exported_quotes(line) for line in SEED.read_text("utf-8").split("\n")}
    exp = json.loads((HERE / "sw" / "a-66808855.expected.json").read_text("utf-8"))
    for p in [*exp["body"].split("\n\n"), exp["title"], exp["teaser"]]:
        if p not in lines and p + "\u00a0" not in lines:
            problems.append(f"seed paragraph not verbatim: {p[:60]!r}")


def robots_rules() -> list[re.Pattern]:
    rules = []
    for line in (HERE / "robots.txt").read_text("utf-8").splitlines():
        if line.lower().startswith("disallow:"):
            rule = line.split(":", 1)[1].strip()
            rules.append(re.compile(re.escape(rule).replace(r"\*", ".*")))
    return rules


def local(href: str, base: str) -> str | None:
    u = urlsplit(urljoin("https://www.dw.com" + base, href))
    if u.netloc != "www.dw.com":
        return None
    return u.path


def file_for(path: str) -> Path | None:
    m = PAGE_RE.match(path)
    if not m or m.group(2) not in ("a", "s"):
        return None
    return HERE / m.group(1) / f"{m.group(2)}-{m.group(3)}.html"


def js_links(node) -> int:
    if isinstance(node, str):
        return 0
    return int(bool(node.get("link"))) + sum(js_links(c) for c in node["children"])


def js_teaser_hrefs(source: str) -> list[str]:
    """The hrefs the section's script builds: "/" + lang + "/" + slug + "/a-" + id + query."""
    doc = html.fromstring(source)
    data = json.loads(doc.get_element_by_id("more-teasers").text)
    return [f"/{data['lang']}/{t['slug']}/a-{t['id']}{t.get('query') or ''}" for t in data["teasers"]]


def check_js_section(problems: list[str]) -> dict[str, set[str]]:
    """The section whose teasers only JavaScript makes; returns what its teasers reach."""
    page = HERE / "sw" / f"{JS_SECTION}.html"
    name = page.name
    if not page.exists():
        problems.append(f"{name}: missing")
        return {}
    source = page.read_text("utf-8")
    doc = html.fromstring(source)
    # a crawler without JavaScript: no article link, and no article path even as text
    for href in doc.xpath("//a/@href"):
        path = local(href, JS_SECTION_PATH)
        m = PAGE_RE.match(path or "")
        if m and m.group(2) == "a":
            problems.append(f"{name}: static article link {href}")
    for token in re.findall(r"[^\s\"'<>()]*/a-\d+", source):
        if urlsplit(token).netloc in ("", "www.dw.com", "dw.com"):
            problems.append(f"{name}: article path in the static HTML: {token}")
    lists = doc.cssselect("section#teasers [data-tracking-list]")
    if len(lists) != 1 or len(lists[0]) or (lists[0].text or "").strip():
        problems.append(f"{name}: the teaser list is not one empty container")
    # the data the script reads, and the script
    blob = doc.get_element_by_id("more-teasers", None)
    if blob is None or blob.tag != "script" or blob.get("type") != "application/json":
        problems.append(f'{name}: no <script type="application/json" id="more-teasers">')
        return {}
    data = json.loads(blob.text)
    ids = [t["id"] for t in data["teasers"]]
    if set(ids) != JS_TEASERS or len(ids) != len(JS_TEASERS):
        problems.append(f"{name}: JSON teasers {ids}, expected {sorted(JS_TEASERS)}")
    for t in data["teasers"]:
        if js_links(t["dom"]) != 3:
            problems.append(f"{name}: teaser {t['id']} has {js_links(t['dom'])} links, not 3")
    scripts = [s.text or "" for s in doc.xpath("//script[not(@type) or @type='text/javascript']")]
    builder = [js for js in scripts if "more-teasers" in js]
    if len(builder) != 1:
        problems.append(f"{name}: {len(builder)} scripts read #more-teasers, expected 1")
    for js in builder:
        if NOT_ES5.search(js):
            problems.append(f"{name}: script is not plain ES5 (QtWebKit): {NOT_ES5.search(js).group(0)!r}")
        if '"/a-"' not in js:
            problems.append(f"{name}: script does not join the article path from slug and id")
    seen: dict[str, set[str]] = {}
    disallow = robots_rules()
    for href in js_teaser_hrefs(source):
        path = urlsplit(href).path
        target = file_for(path)
        if target is None or not target.exists():
            problems.append(f"{name}: JS teaser {href} has no file")
            continue
        if any(r.match(path) for r in disallow):
            problems.append(f"{name}: JS teaser {href} is disallowed by robots.txt")
        seen.setdefault(target.stem, set()).add(href)
        if target.stem == "a-66808855":
            canonical = json.loads(target.with_suffix(".expected.json").read_text("utf-8"))["url"]
            if urlsplit(canonical).path == path or "?" not in href:
                problems.append(f"{name}: the seed teaser should use another slug and a tracking query: {href}")
    # nothing links to the section, and the JS-only articles are linked from nowhere else
    for other in sorted((HERE / "sw").glob("*.html")):
        for href in html.fromstring(other.read_text("utf-8")).xpath("//a/@href"):
            target = file_for(local(href, "/sw/x/" + other.stem) or "")
            if target is None or target.stem == other.stem:
                continue
            if target.stem == JS_SECTION or target.stem in JS_ONLY:
                problems.append(f"{other.name}: links {href} (must be reachable only through the JS section)")
    return seen


def check_links(problems: list[str]) -> dict[str, set[str]]:
    """Link closure and reachability (robots honoured) from the home page."""
    disallow = robots_rules()

    for page in sorted((HERE / "sw").glob("*.html")):
        doc = html.fromstring(page.read_text("utf-8"))
        for href in doc.xpath("//a/@href"):
            path = local(href, "/sw/x/" + page.stem)
            if path is None or not path.startswith("/sw/"):
                continue
            target = file_for(path)
            if target is not None and not target.exists() and path not in KNOWN_404:
                problems.append(f"{page.name}: link to missing page {href}")
    seen: dict[str, set[str]] = {}
    queue = deque(["/sw/idhaa-ya-kiswahili/s-11588"])
    blocked: set[str] = set()
    while queue:
        path = queue.popleft()
        if any(r.match(path) for r in disallow):
            blocked.add(path)
            continue
        target = file_for(path)
        if target is None or not target.exists():
            continue
        key = target.stem
        if key in seen:
            seen[key].add(path)
            continue
        seen[key] = {path}
        if key.startswith("a-"):
            continue  # a crawler reads articles, it does not need to follow their links
        for href in html.fromstring(target.read_text("utf-8")).xpath("//a/@href"):
            p = local(href, path)
            if p and p.startswith("/sw/"):
                queue.append(p)
    articles = {p.stem for p in (HERE / "sw").glob("a-*.html")}
    reached = {k for k in seen if k.startswith("a-")}
    if articles - reached != {"a-66900001"} | JS_ONLY:
        problems.append(f"reachability: unreached articles {sorted(articles - reached)}")
    if JS_SECTION in seen:
        problems.append(f"reachability: {JS_SECTION} is linked from the home page's crawl")
    if not any(b.startswith("/sw/kumbukumbu/") for b in blocked):
        problems.append("reachability: robots.txt never blocked /sw/kumbukumbu/")
    return seen


def main(argv: list[str]) -> int:
    if argv[:1] == ["--draft"]:
        got = extract(Path(argv[1]))
        got.pop("_short_links")
        print(json.dumps(got, ensure_ascii=False, indent=2))
        return 0
    problems: list[str] = []
    for page in sorted(HERE.glob("*/*.html")):
        try:
            html.fromstring(page.read_bytes())
        except Exception as exc:
            problems.append(f"{page}: does not parse: {exc}")
    for exp in sorted(HERE.glob("*/*.expected.json")):
        json.loads(exp.read_text("utf-8"))
    for page in sorted(HERE.glob("*/a-*.html")):
        if not page.with_suffix(".expected.json").exists():
            problems.append(f"{page}: no .expected.json")
            continue
        check_article(page, problems)
    check_seed(problems)
    seen = check_links(problems)
    js_seen = check_js_section(problems)
    if JS_ONLY - set(js_seen):
        problems.append(f"reachability: {sorted(JS_ONLY - set(js_seen))} not reached through {JS_SECTION}")
    for p in problems:
        print("PROBLEM:", p)
    print(
        f"{len(list(HERE.glob('*/*.html')))} pages, {len(problems)} problems; "
        f"reached from home: {', '.join(sorted(seen))}; "
        f"reached by running the script of {JS_SECTION}: {', '.join(sorted(js_seen))}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
