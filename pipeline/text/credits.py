"""What is not the article itself: credit lines ("Source: VOA", "(Reuters) -"), datelines ("ASTANA -"),
a teaser's "..."/"Read more" tail, a repeated headline, and the share/footer lines every site adds;
and the alias table that folds an outlet's many names to one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlparse

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


class AliasTable:
    """Folds the many names of an outlet ("VOA", "voanews.com") to the one name in the config."""

    def __init__(
        self,
        aliases: Mapping[str, Iterable[str]],
        feed_names: Iterable[str],
        feed_hosts: Mapping[str, str] | None = None,
    ) -> None:
        """``feed_hosts`` (feed name -> host of the site it links to) makes a credit or canonical
        link naming that host ("voanews.com") resolve to the feed without an alias entry."""
        self._names: dict[str, str] = {}
        for name in feed_names:
            self._names[self.key(name)] = name
        for name, host in (feed_hosts or {}).items():
            self._names.setdefault(self.key(host), name)
        for name, others in aliases.items():
            self._names[self.key(name)] = name
            for other in others:
                self._names[self.key(other)] = name

    @staticmethod
    def key(name: str) -> str:
        """Compare names case-insensitively, ignoring punctuation, "www." and "https://"."""
        text = name.strip().casefold()
        if "://" in text:
            text = urlparse(text).netloc or text
        text = re.sub(r"^www\.", "", text)
        return " ".join(re.findall(r"\w+", text))

    def names(self, credit: str, feed: str) -> bool:
        """Whether a credit names ``feed`` itself (its one name, or its name inside a longer one)."""
        if self.resolve(credit) == self.resolve(feed):
            return True
        return f" {self.key(feed)} " in f" {self.key(credit)} "

    def resolve(self, credit: str) -> str:
        """The one name for a credited outlet; an unknown name is returned as written."""
        cleaned = credit.strip().strip(".").strip()
        for variant in (
            cleaned,
            re.sub(r"\s*\(.*?\)\s*", " ", cleaned),
            *re.findall(r"\((.*?)\)", cleaned),
        ):
            found = self._names.get(self.key(variant))
            if found:
                return found
        return cleaned
