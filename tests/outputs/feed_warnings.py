"""The W3C feed validator's rules for SecurityRisk, NotHtml, ContainsRelRef, BadCharacters and
ImplausibleDate, applied to our RSS, Atom and JSON outputs (no validator runs offline).

Rules as in w3c/feedvalidator ``src/feedvalidator/validators.py`` and ``content.py``:
- HTML-typed elements (RSS ``description`` and ``content:encoded``, Atom ``content``/``summary``
  with ``type="html"``; here also JSON Feed ``content_html``) are parsed by html5lib in strict mode:
  a parse error or a tag outside HTML is *NotHtml*; a tag outside its ``acceptable_elements`` or an
  attribute outside its ``acceptable_attributes`` (every ``on*`` handler) is *SecurityRisk*, and so
  is ``<?import``; an ``<a href>`` or ``<img src>`` that is not absolute (``\\w+:``) is
  *ContainsRelRef*.
- Any character U+0080..U+009F or U+FFFD in text or attributes is *BadCharacters*.
- A date before 1990 or more than ten minutes after the validation is *ImplausibleDate*; we hold
  our outputs to "not after the run's time" (``now``), which is stricter.

Two checks of our own go with them, as the issue asks: no ``href`` that is empty or not http(s)
(``mailto:``, ``javascript:``), and no C0 control character anywhere.
"""

from __future__ import annotations

import email.utils
import json
import re
from datetime import UTC, datetime
from html import unescape

import html5lib
from html5lib.html5parser import ParseError
from lxml import etree

ATOM = "{http://www.w3.org/2005/Atom}"
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}encoded"
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)

# validators.py HTMLValidator.acceptable_elements and htmltags as they are; acceptable_attributes
# is a subset of the validator's (the HTML 4 ones), so this check is stricter than its warning.
ACCEPTABLE_ELEMENTS = frozenset(
    [
        "a",
        "abbr",
        "acronym",
        "address",
        "area",
        "article",
        "aside",
        "audio",
        "b",
        "bdi",
        "big",
        "blockquote",
        "br",
        "button",
        "canvas",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "command",
        "data",
        "datagrid",
        "datalist",
        "dd",
        "del",
        "details",
        "dfn",
        "dialog",
        "dir",
        "div",
        "dl",
        "dt",
        "em",
        "eventsource",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "font",
        "form",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hgroup",
        "hr",
        "i",
        "img",
        "input",
        "ins",
        "keygen",
        "kbd",
        "label",
        "legend",
        "li",
        "m",
        "main",
        "map",
        "mark",
        "menu",
        "meter",
        "multicol",
        "nav",
        "nextid",
        "ol",
        "output",
        "optgroup",
        "option",
        "p",
        "picture",
        "pre",
        "progress",
        "q",
        "rp",
        "rt",
        "ruby",
        "s",
        "samp",
        "section",
        "select",
        "small",
        "sound",
        "source",
        "spacer",
        "span",
        "strike",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "template",
        "textarea",
        "time",
        "tfoot",
        "th",
        "thead",
        "tr",
        "track",
        "tt",
        "u",
        "ul",
        "var",
        "video",
        "noscript",
        "wbr",
    ]
)
HTML_TAGS = ACCEPTABLE_ELEMENTS | frozenset(
    [
        "applet",
        "base",
        "basefont",
        "body",
        "frame",
        "frameset",
        "head",
        "html",
        "iframe",
        "link",
        "meta",
        "noframes",
        "object",
        "param",
        "script",
        "slot",
        "style",
        "title",
        "xmp",
        "plaintext",
        "embed",
        "comment",
        "listing",
    ]
)
ACCEPTABLE_ATTRIBUTES = frozenset(
    [
        "abbr",
        "accept",
        "accept-charset",
        "accesskey",
        "action",
        "align",
        "alt",
        "autoplay",
        "axis",
        "background",
        "bgcolor",
        "border",
        "cellpadding",
        "cellspacing",
        "char",
        "charoff",
        "charset",
        "checked",
        "cite",
        "class",
        "clear",
        "color",
        "cols",
        "colspan",
        "compact",
        "coords",
        "datetime",
        "dir",
        "disabled",
        "download",
        "enctype",
        "face",
        "for",
        "frame",
        "headers",
        "height",
        "href",
        "hreflang",
        "hspace",
        "id",
        "ismap",
        "label",
        "lang",
        "longdesc",
        "loop",
        "maxlength",
        "media",
        "method",
        "multiple",
        "name",
        "nohref",
        "noshade",
        "nowrap",
        "poster",
        "preload",
        "readonly",
        "rel",
        "rev",
        "rows",
        "rowspan",
        "rules",
        "scope",
        "selected",
        "shape",
        "size",
        "span",
        "src",
        "start",
        "summary",
        "tabindex",
        "target",
        "title",
        "type",
        "usemap",
        "valign",
        "value",
        "vspace",
        "width",
    ]
)
_ABSOLUTE = re.compile(r"\w+:")
_ANCHOR = re.compile(r"""<a\s+href=(?:"(.*?)"|'(.*?)'|([\w-]+))[\s>]""", re.IGNORECASE)
_IMG = re.compile(r"""<img\s+[^>]*src=(?:"(.*?)"|'(.*?)'|([\w-]+))[\s>]""", re.IGNORECASE)
_BAD_CHARACTER = re.compile("[\x80-\x9f\ufffd]")
_C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HTTP = re.compile(r"https?://[^/\s]", re.IGNORECASE)


def _is_http(link: str) -> bool:
    return _HTTP.match(link) is not None


def html_warnings(value: str, where: str) -> list[str]:
    """SecurityRisk, NotHtml and ContainsRelRef for one HTML-typed value, plus bad hrefs."""
    found: list[str] = []
    if "<?import " in value.lower():
        found.append(f"SecurityRisk {where}: <?import")
    try:
        fragment = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(value)
    except ParseError as exc:
        found.append(f"NotHtml {where}: {exc}")
        fragment = html5lib.HTMLParser(namespaceHTMLElements=False).parseFragment(value)
    for element in fragment.iter():
        if not isinstance(element.tag, str) or element.tag == "DOCUMENT_FRAGMENT":
            continue  # comments
        tag = element.tag.split("}")[-1].lower()
        if tag not in HTML_TAGS:
            found.append(f"NotHtml {where}: non-html tag <{tag}>")
        elif tag not in ACCEPTABLE_ELEMENTS:
            found.append(f"SecurityRisk {where}: <{tag}>")
        for name, attr in element.attrib.items():
            name = name.lower()
            if name not in ACCEPTABLE_ATTRIBUTES and not name.startswith("data-") and name != "style":
                found.append(f"SecurityRisk {where}: {tag}@{name}")
            if name in ("href", "src") and not _is_http(attr.strip()):
                found.append(f"bad link {where}: {tag}@{name}={attr!r}")
    for match in [*_ANCHOR.findall(value), *_IMG.findall(value)]:
        ref = unescape(next((part for part in match if part), "")).strip()
        if not _ABSOLUTE.match(ref):
            found.append(f"ContainsRelRef {where}: {ref!r}")
    return found


def text_warnings(value: str, where: str) -> list[str]:
    """BadCharacters (C1, U+FFFD) and, our own rule, C0 control characters."""
    found = []
    if _BAD_CHARACTER.search(value):
        found.append(f"BadCharacters {where}: {_BAD_CHARACTER.findall(value)[:3]!r}")
    if _C0.search(value):
        found.append(f"control character {where}")
    return found


def date_warning(moment: datetime, now: datetime, where: str) -> list[str]:
    """ImplausibleDate: before 1990 or after the run's time."""
    if moment < EARLIEST or moment > now:
        return [f"ImplausibleDate {where}: {moment.isoformat()}"]
    return []


def rss_warnings(data: bytes, now: datetime) -> list[str]:
    root = etree.fromstring(data)
    found = _xml_text_warnings(root, "rss")
    for element in root.iter("pubDate", "lastBuildDate"):
        where = f"rss {element.tag}"
        found += date_warning(email.utils.parsedate_to_datetime(element.text or ""), now, where)
    for item_number, item in enumerate(root.iter("item")):
        for tag in ("description", CONTENT_ENCODED):
            value = item.findtext(tag)
            if value is not None:
                found += html_warnings(value, f"rss item {item_number} {tag.split('}')[-1]}")
        link = item.findtext("link")
        if link is not None and not _is_http(link):
            found.append(f"bad link rss item {item_number}: {link!r}")
    return found


def atom_warnings(data: bytes, now: datetime) -> list[str]:
    root = etree.fromstring(data)
    found = _xml_text_warnings(root, "atom")
    for tag in ("updated", "published"):
        for element in root.iter(f"{ATOM}{tag}"):
            found += date_warning(datetime.fromisoformat(element.text or ""), now, f"atom {tag}")
    for tag in ("content", "summary"):
        for element in root.iter(f"{ATOM}{tag}"):
            if element.get("type") == "html":
                found += html_warnings(element.text or "", f"atom {tag}")
    for link in root.iter(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and not _is_http(link.get("href", "")):
            found.append(f"bad link atom: {link.get('href')!r}")
    return found


def json_warnings(data: bytes, now: datetime) -> list[str]:
    feed = json.loads(data)
    found = _json_text_warnings(feed, "json")
    for number, item in enumerate(feed["items"]):
        found += html_warnings(item["content_html"], f"json item {number} content_html")
        for key in ("date_published", "date_modified"):
            found += date_warning(datetime.fromisoformat(item[key]), now, f"json item {number} {key}")
        if "url" in item and not _is_http(item["url"]):
            found.append(f"bad link json item {number}: {item['url']!r}")
    return found


def report_warnings(data: bytes) -> list[str]:
    found: list[str] = []
    for number, line in enumerate(data.decode("utf-8").splitlines()):
        record = json.loads(line)
        found += _json_text_warnings(record, f"report line {number}")
        canonical = record["canonical"]
        if canonical is not None and not _is_http(canonical):
            found.append(f"bad link report line {number}: {canonical!r}")
    return found


def _xml_text_warnings(root: etree._Element, where: str) -> list[str]:
    found: list[str] = []
    for element in root.iter():
        for value in (element.text or "", element.tail or "", *element.attrib.values()):
            found += text_warnings(value, f"{where} <{etree.QName(element).localname}>")
    return found


def _json_text_warnings(value: object, where: str) -> list[str]:
    if isinstance(value, str):
        return text_warnings(value, where)
    if isinstance(value, dict):
        return [w for key, inner in value.items() for w in _json_text_warnings(inner, f"{where}.{key}")]
    if isinstance(value, list):
        return [w for inner in value for w in _json_text_warnings(inner, where)]
    return []
