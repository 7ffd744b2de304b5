"""Read a JSON Feed (https://jsonfeed.org, versions 1.0 and 1.1) into the entry shape ``parse`` reads.

feedparser reads only XML (its JSON Feed support is unreleased), and the JSON Feed packages on PyPI
are thin and unkept: jsonfeed-util (the most recent) raises on a feed without a title or an item
without an id, asserts, and has no type hints. The format is small, so this is a lenient reader of
the spec: each item becomes a dict with feedparser's keys (``id``, ``title``, ``link``, ``content``,
``summary``, ``published``, ``updated``, ``author``), so that one function turns entries of either
format into Articles (``parse.entry_to_article``).

* ``content_html`` is HTML; ``content_text`` is plain text (escaped into paragraphs when it holds
  ``<`` or ``&``, so that it is never read as markup); ``summary`` is plain text.
* The link is ``url``, else ``external_url``; the author is 1.1's ``authors`` or 1.0's ``author``.
* Strings are taken as they are after JSON decoding, with a lone UTF-16 surrogate escape
  (``"\\ud83d"``) made U+FFFD; values of the wrong type are ignored, never fatal.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from pipeline.text.clean import repair_surrogates

# The version URL prefix every JSON Feed names (https://jsonfeed.org/version/1 and /1.1).
VERSION_PREFIX = "jsonfeed.org/version/"
_OPENS_OBJECT = re.compile(rb"^(?:\xef\xbb\xbf)?\s*\{")


@dataclass(slots=True)
class JsonFeed:
    """A JSON Feed read: its title and home page, its items as feedparser-shaped entries, or why not."""

    title: str = ""
    link: str = ""
    version: str = ""
    entries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


def looks_like_json(body: bytes) -> bool:
    """Whether a body is a JSON document: it opens an object (after a BOM and whitespace). A feed
    served as ``application/json`` that is XML is XML, and one served as XML that is JSON is JSON."""
    return bool(_OPENS_OBJECT.match(body[:1024]))


def read_json_feed(body: bytes) -> JsonFeed:
    """Read a JSON Feed's bytes (UTF-8, as RFC 8259 says; a BOM is allowed). Never raises: a body
    that is not JSON, or JSON that is not a JSON Feed, comes back with ``error`` in words."""
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except json.JSONDecodeError as exc:
        return JsonFeed(error=f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}")
    except RecursionError:
        return JsonFeed(error="not a usable JSON document (nested too deeply)")
    if not isinstance(document, dict):
        return JsonFeed(error="a JSON document, but not a JSON Feed (not an object)")
    version = _text(document.get("version"))
    items = document.get("items")
    if VERSION_PREFIX not in version or not isinstance(items, list):
        return JsonFeed(
            error="a JSON document, but not a JSON Feed (no 'version' naming jsonfeed.org "
            "and 'items' list); syndedup reads RSS, Atom and JSON Feed"
        )
    feed = JsonFeed(
        title=_text(document.get("title")), link=_text(document.get("home_page_url")), version=version
    )
    feed_authors = _authors(document)
    for item in items:
        if isinstance(item, dict):
            feed.entries.append(_entry(item, feed_authors))
    return feed


def _entry(item: dict[str, Any], feed_authors: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": _text(item.get("id")),
        "title": _text(item.get("title")),
        "title_detail": {"type": "text/plain"},  # a JSON Feed title is plain text
        "link": _text(item.get("url")) or _text(item.get("external_url")),
    }
    contents = []
    content_html = _text(item.get("content_html"))
    if content_html.strip():
        contents.append({"type": "text/html", "value": content_html})
    content_text = _text(item.get("content_text"))
    if content_text.strip():
        contents.append({"type": "text/plain", "value": _plain_as_html(content_text)})
    if contents:
        entry["content"] = contents
    summary = _text(item.get("summary"))
    if summary.strip():
        entry["summary"] = _plain_as_html(summary)
    for ours, theirs in (("published", "date_published"), ("updated", "date_modified")):
        value = _text(item.get(theirs))
        if value:
            entry[ours] = value
    authors = _authors(item) or feed_authors
    if authors:
        entry["author"] = ", ".join(authors)
    return entry


def _authors(holder: dict[str, Any]) -> list[str]:
    """Names of 1.1's ``authors`` list, else of 1.0's ``author`` object."""
    found = holder.get("authors")
    people = found if isinstance(found, list) else [holder.get("author")]
    return [name for person in people if isinstance(person, dict) and (name := _text(person.get("name")))]


def _text(value: object) -> str:
    """A string field as text ("" for a missing or non-string one; an id may be a number)."""
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int | float):
        return str(value)
    return repair_surrogates(value) if isinstance(value, str) else ""


def _plain_as_html(text: str) -> str:
    """Plain text that holds ``<`` or ``&`` as HTML paragraphs (escaped); other text as it is,
    which the HTML reader treats as plain text (``text.html``)."""
    if "<" not in text and "&" not in text:
        return text
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in paragraphs)
