"""The last line of defence for everything syndedup publishes: text, HTML, links and dates.

Whatever the parser and the stages let through, the outputs apply these rules, which are those of
the W3C feed validator's warnings (w3c/feedvalidator ``validators.py``, ``content.py``):

- no C0/C1 control character, U+FFFD or non-character in any text (its *BadCharacters*; XML 1.0
  forbids most C0 characters outright, and a reader shows C1 ones as boxes);
- text placed where the format says HTML is HTML-escaped, and our HTML passes nh3 (the Rust
  ammonia sanitizer) with only the tags and attributes we write and absolute http(s) links (its
  *SecurityRisk*, *NotHtml* and *ContainsRelRef*);
- a link that is not an absolute http(s) URL (missing, relative, ``mailto:``, ``ftp:``,
  ``javascript:``) is left out, never written as ``href=""``; one with non-ASCII characters (an
  IRI) is published as the URI that names it (*UriNotIri*);
- no date after the entry was first seen nor before 1990 (its *ImplausibleDate*: "in the future"
  or before 1990, when web feeds did not exist).
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import nh3

from pipeline.text.uri import as_uri

# C0 controls but tab, line feed and carriage return; DEL and the C1 block; U+FFFD (bytes that
# could not be decoded: nothing a reader can use); lone surrogates and the two non-characters,
# which XML forbids.
_BAD_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd\ufffe\uffff\ud800-\udfff]")

# Exactly the markup that item_html writes; anything else in a fragment is removed.
ALLOWED_TAGS = frozenset({"p", "em", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href"}}
LINK_SCHEMES = frozenset({"http", "https"})

# Web feeds began in 1999 and the web itself in 1991; the validator calls any date before 1990
# implausible (implausible_822 / implausible_8601).
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)


def clean_text(text: str) -> str:
    """``text`` without control characters, U+FFFD or non-characters (tab and newlines kept)."""
    return _BAD_CHARACTERS.sub("", text)


def html_text(text: str) -> str:
    """Plain ``text`` made safe to place where a format says HTML: cleaned, then HTML-escaped."""
    return html.escape(clean_text(text), quote=False)


def usable_link(link: str | None) -> str | None:
    """``link`` when it is an absolute http(s) URL with a host and no space or control character;
    None otherwise (missing, relative, ``mailto:``, ``ftp:``, ``javascript:``, ``data:``)."""
    if not link:
        return None
    link = link.strip()
    if not link or _SPACE.search(link) or _BAD_CHARACTERS.search(link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:  # a malformed IPv6 host, for one
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.hostname:
        return None
    return as_uri(link)


# Exactly str.isspace (both are Py_UNICODE_ISSPACE); one regex pass, not a Python call a character.
_SPACE = re.compile(r"\s")


def _keep_absolute_links(tag: str, attribute: str, value: str) -> str | None:
    if tag == "a" and attribute == "href":
        return usable_link(value)
    return value


def clean_html(fragment: str) -> str:
    """An HTML fragment reduced to ``ALLOWED_TAGS`` with absolute http(s) ``href`` only.

    nh3 (ammonia) parses like a browser (html5ever), so markup that a regex or a naive parser would
    miss (``<scr<script>ipt>``, unquoted handlers, entity-encoded ``javascript:``) cannot survive.
    Script and style contents are dropped with their tags; links get no added ``rel``.
    """
    return nh3.clean(
        clean_text(fragment),
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(LINK_SCHEMES),
        attribute_filter=_keep_absolute_links,
        link_rel=None,
        strip_comments=True,
    )


def shown_date(published: datetime, first_seen: datetime) -> datetime:
    """The date an output shows for an entry: its own, unless that is after ``first_seen`` (the
    run that first stored it; a future or skewed date) or before 1990; then ``first_seen``.

    Both come from the state, so an unchanged rerun shows the same dates (no clock is read).
    """
    if published > first_seen or published < EARLIEST_PLAUSIBLE:
        return first_seen
    return published
