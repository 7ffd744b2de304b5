"""Feed autodiscovery: the feed an HTML page names in ``<link rel="alternate" type="...">``.

A user often configures a site's home page, or the page of a section, instead of its feed. A page
that names its feed (RSS Autodiscovery, the WHATWG "alternate" link with a feed type) is followed
to it once, and the run warns with the feed's URL to put in config.toml.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

# The media types of a feed link, in the order they are preferred when a page names several.
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json", "application/rdf+xml")
# Enough of a page to hold its <head>.
_HEAD_BYTES = 256 * 1024
# An HTML document's start (after a BOM, whitespace, an XML declaration or comments): not a feed.
_HTML_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?(?:\s|<\?xml[^>]*\?>|<!--.*?-->)*<(?:!doctype\s+html|html[\s>])",
    re.IGNORECASE | re.DOTALL,
)


# A feed document's root (after an XML declaration, comments, a DOCTYPE): a feed served as text/html.
_FEED_ROOT = re.compile(
    rb"(?:\s|<\?[^>]*\?>|<!--.*?-->|<!DOCTYPE[^>]*>)*<(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF|channel)[\s>/]",
    re.DOTALL,
)


def is_html_page(body: bytes, content_type: str = "") -> bool:
    """Whether a body is an HTML page (by its first bytes; or served as text/html and not opening
    as a feed or JSON document would)."""
    if _HTML_START.match(body[:4096]):
        return True
    media = content_type.split(";")[0].strip().lower()
    head = body[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return media == "text/html" and not head.startswith(b"{") and not _FEED_ROOT.match(head)


def feed_links(body: bytes, page_url: str) -> list[str]:
    """The feed URLs an HTML page names (absolute, resolved against its ``<base href>`` or
    ``page_url``), RSS first, then Atom, then JSON Feed; the page's own order within a type."""
    finder = _LinkFinder()
    try:
        finder.feed(body[:_HEAD_BYTES].decode("utf-8", errors="replace"))
        finder.close()
    except (AssertionError, ValueError):  # HTMLParser on pathological input: keep what was found
        pass
    base = urljoin(page_url, finder.base) if finder.base else page_url
    found: list[str] = []
    for kind in FEED_TYPES:
        for link_type, href in finder.links:
            url = urljoin(base, href.strip())
            if link_type == kind and url not in found and urlsplit(url).scheme:
                found.append(url)
    return found


class _LinkFinder(HTMLParser):
    """Collects ``<link rel="alternate" type=... href=...>`` and ``<base href>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self.base = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and values.get("href") and not self.base:
            self.base = values["href"]
        if tag != "link" or not values.get("href"):
            return
        rels = values.get("rel", "").lower().split()
        link_type = values.get("type", "").split(";")[0].strip().lower()
        if "alternate" in rels and link_type in FEED_TYPES:
            self.links.append((link_type, values["href"]))
