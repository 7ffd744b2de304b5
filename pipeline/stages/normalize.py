"""Normalize: turn an entry's HTML into clean text, and separate out what must not be fingerprinted.

``Article.text`` is the readable text (paragraphs, repaired Unicode) shown in the output feed.
``Article.body`` is what gets fingerprinted: the text without its credit line ("Source: VOA"), its
dateline ("ASTANA —"), a teaser's "..."/"Read more" tail, and lines every site adds (share buttons,
"The post ... appeared first on ..."). ``Article.credit`` is the raw credited name, if any.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

import ftfy
import lxml.html
from lxml import etree

from pipeline.models import Article

# Bump when a change here alters ``body`` for the same input: stored signatures then no longer compare.
NORMALIZER_VERSION = 2

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
    r"|(?<=[a-z\u00e0-\u024f\d][\"”’][.!?])(?=[A-Z])"
    r"|(?<=[A-Z]{2}[.!?])(?=[A-Z][a-z])"  # "by VOA.Today": an acronym ends the sentence
    r"|(?<=[.!?][\"”’'])(?=[A-Z][a-z])"  # "in this industry'."Originally": nested quotes
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")

# What opens a credit: "Source:", "Originally published by", "© 2001", "来源:", "المصدر:" ...
_CREDIT_LEAD = (
    r"(?:source|sources|credit|credits|via|courtesy(?:\s+of)?|"
    r"(?:this\s+(?:article|story)\s+(?:was\s+)?)?(?:originally\s+|first\s+)?(?:published|appeared)\s+(?:first\s+)?"
    r"(?:by|in|on|at)|originally\s+(?:published|appeared)\s+(?:by|in|on|at)|republished\s+(?:from|with\s+permission\s+from)|"
    r"reprinted\s+(?:from|with\s+permission\s+from)|(?:©|\(c\)|copyright)(?:\s*\d{4})?|"
    r"来源|來源|出典|出处|المصدر|مصدر)"
)
_COPYRIGHT = re.compile(r"^\s*(?:©|\(c\)|copyright)", re.IGNORECASE)
# Credit lines: a short paragraph naming who published the story first ("(Reuters)" alone too).
_CREDIT_LINE = re.compile(
    rf"^\s*(?:{_CREDIT_LEAD}\s*[:\-—–]?\s*(?P<name>(?:(?!\.\s)[^\n]){{2,80}}?)|\((?P<paren>[^()\n:]{{2,40}})\))\s*\.?\s*$",
    re.IGNORECASE,
)
# The same as the last (or first) sentence of a paragraph: "... on Monday. Source: AAP".
# Only explicit forms count here ("Source:" with its colon, "Originally published by"), never "via".
_CREDIT_SENTENCE = re.compile(
    r"(?:(?<=[.!?\"”’\]…»])\s+|(?<=\bmore)\s+|^)(?P<line>(?:source|credit|courtesy\s+of|"
    r"(?:this\s+(?:article|story)\s+(?:was\s+)?)?(?:originally|first)\s+(?:published|appeared)\s+(?:by|in|on|at)|"
    r"republished\s+(?:from|with\s+permission\s+from))\s*:?\s*(?P<name>https?://\S+|[^.!?\n]{2,60}?(?:\.[a-z]{2,6})*)\s*\.?)\s*$",
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
_MORE_LINK = re.compile(r"^(?:read|continue)\s+(?:more|reading|the\s+full\s+(?:story|article))\W*$", re.I)
_SITE_BOILERPLATE = re.compile(
    r"^(?:the\s+post\s+.+\s+appeared\s+first\s+on\s+.+|"
    r"(?:share|tweet|email|print|follow\s+us|subscribe|advertisement|sponsored|related|click\s+here|"
    r"read\s+more|continue\s+reading)\b.{0,80})$",
    re.IGNORECASE,
)


def normalize(articles: Iterable[Article]) -> Iterator[Article]:
    """Fill ``text``, ``body``, ``credit`` and ``truncated`` of each article not yet normalized."""
    for article in articles:
        if not article.normalized:  # a parse worker may have done it already
            normalize_article(article)
        yield article


def normalize_article(article: Article) -> None:
    """Normalize one article in place (see the module docstring for what each field holds)."""
    paragraphs = [clean_line(p) for p in html_to_paragraphs(article.raw_html)]
    paragraphs = [p for p in paragraphs if p]
    article.text = "\n\n".join(paragraphs)
    article.title = clean_line(article.title)
    body, article.credit, article.truncated = split_body(strip_headline(paragraphs, article.title))
    article.body = "\n".join(body)
    article.normalized = True


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
    for bad in root.iter(*_DROP_TAGS):
        bad.drop_tree()
    chunks: list[str] = []
    _collect_text(root, chunks)
    text = "".join(chunks)
    return re.split(r"\n\s*\n", text)


_MARKUP = re.compile(r"<[A-Za-z/!?]|&(?:#\d+|#x[0-9A-Fa-f]+|[A-Za-z][A-Za-z0-9]{1,31});")
# A line that ends a sentence, or a teaser ("Read more"), ends a paragraph in plain text.
_LINE_END = re.compile(r"(?:[.!?…\"”’)\]»]|\b(?:read\s+more|continue\s+reading))\s*$", re.IGNORECASE)


def _plain_paragraphs(text: str) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
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


def clean_line(text: str) -> str:
    """Repair mojibake, apply NFKC, unglue sentences and collapse whitespace."""
    if not _FTFY_NOOP.fullmatch(text):  # ftfy ends with NFKC (its last step, until nothing changes)
        text = ftfy.fix_text(text, _FTFY)
    if _MAYBE_GLUED.search(text):
        text = _GLUED_SENTENCE.sub(" ", text)
    text = text.replace(" \ufffd ", " — ")  # a lone U+FFFD between words was a dash lost in transit
    if not _SPLIT_DIFFERS.search(text):  # str.split() separates words exactly as the lines below
        return " ".join(text.split())
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFKC", explain=False)
# Printable ASCII without "&" (no entity to unescape), tabs and newlines: ftfy returns such text as
# it is (checked character by character and on random strings), and most news paragraphs are that.
_FTFY_NOOP = re.compile(r"[\t\n\x20-\x25\x27-\x7e]*")
# Every _GLUED_SENTENCE match is a sentence end, at most one quote, then a capital with no space.
_MAYBE_GLUED = re.compile(r"[.!?][“‘\"”’']?[A-Z]")
# Where str.split() and splitlines() + _SPACES disagree on what separates words.
_SPLIT_DIFFERS = re.compile("[\u200b\u1680\x1f]")


# "Talks open | Daily Planet", "Talks open - Harbour Times": a site's suffix on its titles.
_TITLE_SUFFIX = re.compile(r"\s+[|–—\-:]\s+[^|–—\-:]{2,40}$")


# Curly and straight quotes compare equal (one character for one, so offsets stay valid).
_QUOTE_FOLD = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "—": "-", "–": "-"})
_HEADLINE_SEPARATOR = re.compile(r"\s*(?:[:|]|\s[—–\-])\s+")


def strip_headline(paragraphs: list[str], title: str) -> list[str]:
    """Drop the entry's own headline where its text repeats it first (listings often do)."""
    if not paragraphs or not title:
        return paragraphs
    first = paragraphs[0]
    folded = first.translate(_QUOTE_FOLD).casefold()
    for headline in (title, _TITLE_SUFFIX.sub("", title)):
        if len(headline.split()) < 3:
            continue
        key = headline.translate(_QUOTE_FOLD).casefold()
        if folded == key:
            return paragraphs[1:]
        if folded.startswith(key) and len(folded) == len(first):
            # "Headline: text" or "Headline — text"; not "Headline. text" (a lead sentence may be the title)
            separator = _HEADLINE_SEPARATOR.match(first, len(headline))
            if separator:
                return [first[separator.end() :], *paragraphs[1:]]
    return paragraphs


def split_body(paragraphs: list[str]) -> tuple[list[str], str | None, bool]:
    """Separate the fingerprinted body from its credit line, dateline, teaser tail and boilerplate."""
    credit: str | None = None
    copyright_holder: str | None = None
    body: list[str] = []
    more_link = False
    for paragraph in paragraphs:
        if _MORE_LINK.match(paragraph):  # "Read more" on a line of its own: a teaser's link
            more_link = more_link or sum(len(p.split()) for p in body) <= _TEASER_MAX_WORDS
            continue
        match = _CREDIT_LINE.match(paragraph)
        if match and len(paragraph.split()) <= 12:
            if _COPYRIGHT.match(paragraph):  # often the site's own sign-off: weaker than a credit
                copyright_holder = copyright_holder or match.group("name")
            else:
                credit = credit or match.group("name") or match.group("paren")
            continue
        if _SITE_BOILERPLATE.match(paragraph) and len(paragraph.split()) <= 25:
            continue
        body.append(paragraph)
    if body:
        # A credit glued to the text (paragraphs joined without a break, or written inline).
        last = _CREDIT_SENTENCE.search(body[-1])
        if last and last.start("line") > 0:
            credit = credit or last.group("name")
            body[-1] = body[-1][: last.start("line")].rstrip()
        leading = _leading_credit(body[0])
        if leading:
            credit = credit or leading[0]
            body[0] = leading[1]
    body, truncated = _cut_teaser_tail([p for p in body if p.strip()])
    truncated = truncated or (more_link and bool(body))
    if body:
        first = body[0]
        inline = _INLINE_CREDIT.match(first)
        if inline:
            credit = credit or inline.group("name")
            first = first[inline.end() :]
        body[0] = _DATELINE.sub("", first)
    return [p for p in body if p.strip()], credit or copyright_holder, truncated


def _leading_credit(paragraph: str) -> tuple[str, str] | None:
    """ "Originally published by VOA. The talks opened..." -> ("VOA", "The talks opened...")."""
    head, sep, rest = paragraph.partition(". ")
    if not sep or len(head.split()) > 10:
        return None
    match = _CREDIT_LINE.match(head)
    name = match and (match.group("name") or match.group("paren"))
    return (name, rest) if name else None


# A teaser's cut is in its first paragraphs; what follows it is a link line or a site footer.
_TEASER_MAX_WORDS = 150
_TEASER_MAX_AFTER = 2


def _cut_teaser_tail(body: list[str]) -> tuple[list[str], bool]:
    """Strip a teaser's "..."/"Read more" tail and drop the lines after it (footers, links)."""
    words = 0
    for index, paragraph in enumerate(body):
        words += len(paragraph.split())
        last = index == len(body) - 1
        if not last and (words > _TEASER_MAX_WORDS or len(body) - index - 1 > _TEASER_MAX_AFTER):
            continue
        stripped = _TEASER_TAIL.sub("", paragraph)
        if stripped != paragraph and (last or words <= _TEASER_MAX_WORDS):
            kept = [*body[:index], stripped] if stripped.strip() else body[:index]
            return kept, True
    return body, False
