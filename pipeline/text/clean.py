"""Clean one line of text: repair mojibake, apply NFKC, unglue sentences, collapse whitespace.

Order matters: mojibake (UTF-8 read as Windows-1252 or Latin-1) is made of characters that look
like C1 controls (U+0080-U+009F) and soft hyphens (U+00AD): the Russian я is ``Ñ\x8f`` and the
Arabic ح is ``Ø\xad``. They are repaired first (ftfy), and only what is still a control or an
invisible format character afterwards is removed. Removing them first loses a byte of each such
letter for good, and the copy no longer matches its original.
"""

from __future__ import annotations

import re

import ftfy

# "negotiations.The" / "talks.”It": a sentence end glued to the next sentence's capital.
_GLUED_SENTENCE = re.compile(
    r"(?<=[a-z\u00e0-\u024f\d][.!?])(?=[“‘]?[A-Z])|(?<=[a-z\u00e0-\u024f\d][.!?][\"”’])(?=[A-Z])"
    r"|(?<=[a-z\u00e0-\u024f\d][\"”’][.!?])(?=[A-Z])"
    r"|(?<=[A-Z]{2}[.!?])(?=[A-Z][a-z])"  # "by VOA.Today": an acronym ends the sentence
    r"|(?<=[.!?][\"”’'])(?=[A-Z][a-z])"  # "in this industry'."Originally": nested quotes
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")


def clean_line(text: str) -> str:
    """Repair mojibake, drop controls and invisible characters, apply NFKC, unglue sentences and
    collapse whitespace."""
    if not _FTFY_NOOP.fullmatch(text):  # ftfy ends with NFKC (its last step, until nothing changes)
        text = strip_invisible(ftfy.fix_text(text, _FTFY))
    if _MAYBE_GLUED.search(text):
        text = _GLUED_SENTENCE.sub(" ", text)
    text = text.replace(" \ufffd ", " — ")  # a lone U+FFFD between words was a dash lost in transit
    if not _split_differs(text):  # str.split() separates words exactly as the lines below
        return " ".join(text.split())
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return " ".join(line for line in lines if line)


# What is still a control character once ftfy has repaired the text (it turns a lone C1 character
# into the Windows-1252 one it stood for, "\x93" into "“"): C0 but tab and line breaks, DEL, C1.
_CONTROL = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Invisible format characters that split a word for the tokenizer and for search ("Bür\u00adger",
# "Wash\u200bington"): soft hyphen, zero-width space and non-joiner, word joiner, zero-width no-break
# space (a BOM inside text). The zero-width joiner goes too, except between two pictographs, where
# it builds one emoji (👨‍👩‍👧).
_PICTOGRAPH = "\u2600-\u27bf\ufe0f\U0001f000-\U0001faff"
_UNSEEN = re.compile(
    f"[{_CONTROL}\u00ad\u200b\u200c\u2060\ufeff]|(?<![{_PICTOGRAPH}])\u200d|\u200d(?![{_PICTOGRAPH}])"
)


def strip_invisible(text: str) -> str:
    """``text`` without control characters and invisible format characters (see ``_UNSEEN``).

    Call it on repaired text only (``clean_line`` does): before the repair these characters are
    parts of mojibake letters (see the module docstring).
    """
    return _UNSEEN.sub("", text) if not text.isascii() or _ASCII_CONTROL.search(text) else text


_ASCII_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def repair_surrogates(text: str) -> str:
    """``text`` with each UTF-16 surrogate pair joined into the character it encodes and each lone
    surrogate replaced with U+FFFD (JSON's ``"\\ud83d\\udcda"`` escapes, a charref pair read one by one).

    A lone surrogate cannot be written as UTF-8: left in, it fails the run's SQLite write or output.
    """
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


_SURROGATE = re.compile("[\ud800-\udfff]")
# A character reference to a surrogate, as written in XML or HTML (``&#55357;``, ``&#xD83D;``), or
# escaped once more inside an escaped-HTML field (``&amp;#55357;``).
_SURROGATE_REF = re.compile(r"&(amp;)?#(?:[xX](0*[dD][89a-fA-F][0-9a-fA-F]{2})|(0*5[5-7]\d{3}));")
_LOW_FIRST = 0xDC00


def surrogate_charrefs(markup: str) -> tuple[str, int]:
    """``markup`` with character references to UTF-16 surrogates (``&#55357;&#56538;``, which
    JavaScript and PHP generators write for one emoji) made valid, and how many there were.

    A high and a low surrogate written one after the other become one reference to the character
    they pair into (``&#128218;``); any other surrogate reference becomes ``&#65533;`` (U+FFFD). XML
    forbids them, and feedparser raised UnicodeEncodeError on them (feedparser#591), losing the feed.
    """
    if "#" not in markup:
        return markup, 0
    found = list(_SURROGATE_REF.finditer(markup))
    found = [m for m in found if 0xD800 <= _ref_value(m) <= 0xDFFF]
    if not found:
        return markup, 0
    out: list[str] = []
    last = 0
    index = 0
    while index < len(found):
        match = found[index]
        value = _ref_value(match)
        amp = match.group(1) or ""
        following = found[index + 1] if index + 1 < len(found) else None
        if (
            value < _LOW_FIRST
            and following is not None
            and following.start() == match.end()
            and _ref_value(following) >= _LOW_FIRST
        ):
            low = _ref_value(following)
            code = 0x10000 + ((value - 0xD800) << 10) + (low - _LOW_FIRST)
            out += [markup[last : match.start()], f"&{amp}#{code};"]
            last = following.end()
            index += 2
            continue
        out += [markup[last : match.start()], f"&{amp}#65533;"]
        last = match.end()
        index += 1
    out.append(markup[last:])
    return "".join(out), len(found)


def _ref_value(match: re.Match[str]) -> int:
    hexa, decimal = match.group(2), match.group(3)
    return int(hexa, 16) if hexa else int(decimal)


_FTFY = ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFKC", explain=False)
# Printable ASCII without "&" (no entity to unescape), tabs and newlines: ftfy returns such text as
# it is (checked character by character and on random strings), and most news paragraphs are that.
_FTFY_NOOP = re.compile(r"[\t\n\x20-\x25\x27-\x7e]*")
# Every _GLUED_SENTENCE match is a sentence end, at most one quote, then a capital with no space.
_MAYBE_GLUED = re.compile(r"[.!?][“‘\"”’']?[A-Z]")
# Where str.split() and splitlines() + _SPACES disagree on what separates words.
_SPLIT_DIFFERS = re.compile("[\u200b\u1680\x1f]")


def _split_differs(text: str) -> bool:
    """``_SPLIT_DIFFERS.search(text)`` as string searches (a fifth of the regex's time on news text)."""
    return "\x1f" in text or (not text.isascii() and ("\u200b" in text or "\u1680" in text))
