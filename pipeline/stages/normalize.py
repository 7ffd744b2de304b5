"""Normalize: turn an entry's HTML into clean text, and separate out what must not be fingerprinted.

``Article.text`` is the readable text (paragraphs, repaired Unicode) shown in the output feed.
``Article.body`` is what gets fingerprinted: the text without its credit line ("Source: VOA"), its
dateline ("ASTANA —"), a teaser's "..."/"Read more" tail, and lines every site adds (share buttons,
"The post ... appeared first on ..."). ``Article.credit`` is the raw credited name, if any.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

import ftfy
import lxml.html
from lxml import etree

from pipeline.models import Article

# Bump when a change here alters ``body`` for the same input: stored signatures then no longer compare.
NORMALIZER_VERSION = 1

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
_DROP_TAGS = ("script", "style", "noscript", "iframe", "object", "embed", "template", "svg", "form")

# "negotiations.The" / "talks.”It": a sentence end glued to the next sentence's capital.
_GLUED_SENTENCE = re.compile(
    r"(?<=[a-z\u00e0-\u024f\d][.!?])(?=[“‘]?[A-Z])|(?<=[a-z\u00e0-\u024f\d][.!?][\"”’])(?=[A-Z])"
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")

# Credit lines: a short paragraph naming who published the story first.
_CREDIT_LINE = re.compile(
    r"^\s*(?:source|sources|credit|credits|via|courtesy(?:\s+of)?|"
    r"(?:this\s+(?:article|story)\s+(?:was\s+)?)?(?:originally\s+|first\s+)?(?:published|appeared)\s+(?:first\s+)?"
    r"(?:by|in|on|at)|originally\s+(?:published|appeared)\s+(?:by|in|on|at)|republished\s+(?:from|with\s+permission\s+from)|"
    r"reprinted\s+(?:from|with\s+permission\s+from))"
    r"\s*[:\-—–]?\s*(?P<name>[^\n]{2,80}?)\s*\.?\s*$",
    re.IGNORECASE,
)
# "(Reuters) —" or "WASHINGTON (AP) -" opening the first paragraph.
_INLINE_CREDIT = re.compile(
    r"^(?P<dateline>[A-Z][A-Za-z .,'\-]{0,40}?\s*)?\((?P<name>[^()\n]{2,40})\)\s*[—–\-\ufffd]+\s*"
)
# "ASTANA —", "SYDNEY, Australia –" (clean_line has turned a lost dash, " � ", back into " — ").
_DATELINE = re.compile(r"^[A-Z][A-Z .'\-]{1,40}(?:,\s*[A-Z][A-Za-z .]{1,30})?\s*[—–\-]+\s+")
_TEASER_TAIL = re.compile(
    r"\s*(?:\.\.\.|…|\[(?:…|\.\.\.)\]|\((?:more|more…|\.\.\.)\)|(?:read|continue)\s+(?:more|reading)\W*|more\s*»)\s*$",
    re.IGNORECASE,
)
_SITE_BOILERPLATE = re.compile(
    r"^(?:the\s+post\s+.+\s+appeared\s+first\s+on\s+.+|"
    r"(?:share|tweet|email|print|follow\s+us|subscribe|advertisement|sponsored|related|click\s+here|"
    r"read\s+more|continue\s+reading)\b.{0,80})$",
    re.IGNORECASE,
)


def normalize(articles: Iterable[Article]) -> Iterator[Article]:
    """Fill ``text``, ``body``, ``credit`` and ``truncated`` of each article."""
    for article in articles:
        normalize_article(article)
        yield article


def normalize_article(article: Article) -> None:
    """Normalize one article in place (see the module docstring for what each field holds)."""
    paragraphs = [clean_line(p) for p in html_to_paragraphs(article.raw_html)]
    paragraphs = [p for p in paragraphs if p]
    article.text = "\n\n".join(paragraphs)
    article.title = clean_line(article.title)
    body, article.credit, article.truncated = split_body(paragraphs)
    article.body = "\n".join(body)


def html_to_paragraphs(html: str) -> list[str]:
    """Return the text of an HTML fragment (or plain text) as paragraphs, dropping scripts and styles."""
    if "<" not in html and "&" not in html:
        return re.split(r"\n\s*\n|\r\n\s*\r\n", html)
    try:
        root = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return [html]
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    chunks: list[str] = []
    _collect_text(root, chunks)
    text = "".join(chunks)
    return re.split(r"\n\s*\n", text)


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


def clean_line(text: str) -> str:
    """Repair mojibake, apply NFKC, unglue sentences and collapse whitespace."""
    text = ftfy.fix_text(text, uncurl_quotes=False, normalization="NFKC")
    text = unicodedata.normalize("NFKC", text)
    text = _GLUED_SENTENCE.sub(" ", text)
    text = text.replace(" \ufffd ", " — ")  # a lone U+FFFD between words was a dash lost in transit
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


def split_body(paragraphs: list[str]) -> tuple[list[str], str | None, bool]:
    """Separate the fingerprinted body from its credit line, dateline, teaser tail and boilerplate."""
    credit: str | None = None
    body: list[str] = []
    for paragraph in paragraphs:
        match = _CREDIT_LINE.match(paragraph)
        if match and len(paragraph.split()) <= 12:
            credit = credit or match.group("name")
            continue
        if _SITE_BOILERPLATE.match(paragraph) and len(paragraph.split()) <= 25:
            continue
        body.append(paragraph)
    truncated = False
    if body:
        stripped = _TEASER_TAIL.sub("", body[-1])
        if stripped != body[-1]:
            truncated = True
            body[-1] = stripped
        first = body[0]
        inline = _INLINE_CREDIT.match(first)
        if inline:
            credit = credit or inline.group("name")
            first = first[inline.end() :]
        body[0] = _DATELINE.sub("", first)
    return [p for p in body if p.strip()], credit, truncated
