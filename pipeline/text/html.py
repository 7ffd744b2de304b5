"""HTML (or plain text) to paragraphs: block tags end paragraphs, scripts and styles are dropped."""

from __future__ import annotations

import re
from html import unescape

import lxml.html
from lxml import etree

from pipeline.text.credits import _CREDIT_LINE

_BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "figure",
        "figcaption",
        "dl",
        "dt",
        "dd",
        "hr",
    ]
)
# Dropped with their content: never text a reader sees. (feedparser's sanitizer is off, see
# sources/parse.py, so this is what keeps script and style text out of an entry's text.)
_DROP_TAGS = ("script", "style", "applet", "noscript", "iframe", "template", "svg", "math", "form")
# HTML5 void elements that libxml2's HTML 4 parser does not know as void: it nests everything after
# them inside them (``x <embed src=a> text`` -> ``<embed>text</embed>``), so dropping them with their
# content would drop the text that follows. They are unwrapped instead (they can hold no text).
_VOID_UNKNOWN_TO_LIBXML2 = ("embed", "source", "track", "wbr", "keygen")
# Unwrapped too: an <object>'s content is its fallback, what a browser without the plugin shows
# (and libxml2 nests the text after an unclosed <object> inside it); its <param>s hold no text.
_UNWRAPPED = (*_VOID_UNKNOWN_TO_LIBXML2, "object")


def html_to_paragraphs(html: str) -> list[str]:
    """Return the text of an HTML fragment (or plain text) as paragraphs, dropping scripts and styles.

    In plain text a blank line ends a paragraph, and so does a line break after a sentence's end
    (a footer or credit on the next line); a line break inside a sentence is only a wrapped line.
    """
    if not _MARKUP.search(html):  # plain text ("AT&T" or "a < b" alone do not make it HTML)
        return _plain_paragraphs(html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [html]
    for wrapper in list(root.iter(*_UNWRAPPED)):
        wrapper.drop_tag()
    for bad in list(root.iter(*_DROP_TAGS)):
        bad.drop_tree()
    chunks: list[str] = []
    _collect_text(root, chunks)
    text = "".join(chunks)
    return re.split(r"\n\s*\n", text)


# Line breaks of plain text: not str.splitlines(), which also breaks at U+0085 and U+001C-U+001E,
# characters that mojibake is made of until normalizing repairs it (text/clean.py).
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")
# A line that ends a sentence, or a teaser ("Read more"), ends a paragraph in plain text.
_LINE_END = re.compile(r"(?:[.!?…\"”’)\]»]|\b(?:read\s+more|continue\s+reading))\s*$", re.IGNORECASE)


def _plain_paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in _LINE_BREAK.split(text):
        if not line.strip():
            if current:
                paragraphs.append("\n".join(current))
                current = []
            continue
        if current and _CREDIT_LINE.match(line) and len(line.split()) <= 12:
            paragraphs.append("\n".join(current))  # "Source: X" on a line of its own
            current = []
        current.append(line)
        if _LINE_END.search(line) or (_CREDIT_LINE.match(line) and len(line.split()) <= 12):
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def _collect_text(element: lxml.html.HtmlElement, chunks: list[str]) -> None:
    if not isinstance(element.tag, str):  # comments and processing instructions
        if element.tail:
            chunks.append(element.tail)
        return
    block = element.tag.lower() in _BLOCK_TAGS
    if block:
        chunks.append("\n\n")
    if element.text:
        chunks.append(element.text)
    for child in element:
        _collect_text(child, chunks)
    if block:
        chunks.append("\n\n")
    if element.tail:
        chunks.append(element.tail)


# Elements whose content a reader never sees, and any tag (or a tag cut off at the end).
_UNSEEN_ELEMENT = re.compile(r"<(script|style|template|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ANY_TAG = re.compile(r"<[!?/]?[A-Za-z][^>]*>?|<!--.*?-->", re.DOTALL)


def visible_length(fragment: str) -> int:
    """How many characters a reader sees in an HTML fragment (or plain text), spaces not counted.

    0 for a field that is only markup (an image, an empty paragraph): it holds no text. Counted in
    characters, not words, so that Chinese or Japanese text (no spaces) is measured like any other.
    """
    if "<" in fragment:
        fragment = _ANY_TAG.sub(" ", _UNSEEN_ELEMENT.sub(" ", fragment))
    if "&" in fragment:
        fragment = unescape(fragment)
    return len(fragment) - sum(fragment.count(c) for c in " \t\n\r\xa0")
