"""Decode a feed's bytes to text before feedparser sees them, and hand it UTF-8.

feedparser decodes a whole feed in one encoding: one stray byte in a UTF-8 feed and it reads every
byte as iso-8859-2; whitespace before the XML declaration hides the declaration; an undeclared
Shift_JIS feed becomes mojibake. Here, in order:

1. a byte order mark names the encoding;
2. else the XML declaration (after any leading whitespace), else the HTTP Content-Type charset;
   a declared encoding is kept with its few bad bytes replaced (U+FFFD), unless more than
   ``MAX_BAD_SHARE`` of the non-ASCII bytes are bad: then the declaration is wrong as a whole;
3. else strict UTF-8 (the XML default);
4. else charset-normalizer's guess (a maintained detector), else UTF-8 with bad bytes replaced.

Then C0 control characters (never text in a feed, and forbidden in XML) are removed, character
references to UTF-16 surrogates are made valid (``text.clean.surrogate_charrefs``), the declaration
is rewritten to say UTF-8, and the result is UTF-8 bytes. C1 characters (U+0080-U+009F) stay: XML
allows them, and in a feed they are mostly parts of mojibake (``Ñ\x8f`` is a Russian я read as
Latin-1) that normalizing repairs before it removes what is still a control character
(``text.clean``).
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, field

import charset_normalizer

from pipeline.text.clean import surrogate_charrefs

# A declared encoding stays when at most this share of the non-ASCII bytes fail to decode: one bad
# byte among thousands of Cyrillic ones is a stray byte; most of them failing (a Latin-1 feed
# declared UTF-8) means the declaration is wrong as a whole and the encoding is detected instead.
MAX_BAD_SHARE = 0.1

_WESTERN = "cp1252"
# The encodings a web document can be in (WHATWG Encoding Standard, as Python codec names). Left
# to itself, charset-normalizer also weighs DOS and Mac code pages and picks, say, cp775 (Baltic
# DOS) for a short French windows-1252 feed; no feed is written in those.
WEB_ENCODINGS = (
    "utf_8", "cp866", "iso8859_2", "iso8859_3", "iso8859_4", "iso8859_5", "iso8859_6", "iso8859_7",
    "iso8859_8", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15", "iso8859_16", "koi8_r",
    "koi8_u", "mac_roman", "mac_cyrillic", "cp874", "cp1250", "cp1251", "cp1252", "cp1253",
    "cp1254", "cp1255", "cp1256", "cp1257", "cp1258", "gb18030", "big5", "euc_jp", "iso2022_jp",
    "shift_jis", "cp932", "euc_kr",
)  # fmt: skip
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# UTF-16 without a BOM: the first "<" tells the byte order.
_WIDE_STARTS = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))
_DECLARATION = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DECLARATION_TEXT = re.compile(r"""^\s*(<\?xml[^>]*?)(\s+encoding\s*=\s*["'][^"']*["'])([^>]*\?>)""")
_LEADING = re.compile(r"^[\s\ufeff]+(?=<\?xml)")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# C0 controls except tab, LF and CR, and the XML non-characters U+FFFE/U+FFFF: XML forbids them.
# (DEL and C1 are allowed, and repaired or removed with the text: see the module docstring.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(slots=True)
class Decoded:
    """A feed as UTF-8 bytes, the encoding it was read in, and what was wrong, in words."""

    body: bytes
    encoding: str
    warnings: list[str] = field(default_factory=list)


def decode_feed(body: bytes, content_type: str = "") -> Decoded:
    """Decode a feed's bytes (BOM, declaration, HTTP charset, UTF-8, detection) to clean UTF-8.

    ``content_type`` is the HTTP Content-Type header ("" for a file). Never raises.
    """
    warnings: list[str] = []
    text: str | None = None
    encoding = ""
    bom = _bom(body)
    if bom:
        encoding, text = bom, body.decode(bom, errors="replace")
        text = text.removeprefix("\ufeff")
    else:
        declared = _declared(body, content_type, warnings)
        if declared:
            text, bad = _decode_counting(body, declared)
            if bad and bad > MAX_BAD_SHARE * _non_ascii(body):
                warnings.append(
                    f"the feed says it is {declared[1]} but most of its non-ASCII bytes are not; "
                    "its encoding was detected instead"
                )
                text = None
            else:
                encoding = declared[0]
                if bad:
                    warnings.append(
                        f"{bad} byte sequence(s) are not valid {declared[1]}: replaced with U+FFFD"
                    )
        if text is None:
            encoding, text = _undeclared(body, warnings, said=bool(declared))
    cleaned = _CONTROL.sub("", text)
    if len(cleaned) != len(text):
        warnings.append(f"removed {len(text) - len(cleaned)} control character(s)")
    cleaned, surrogates = surrogate_charrefs(cleaned)
    if surrogates:
        warnings.append(
            f"{surrogates} character reference(s) to UTF-16 surrogates (such as &#55357;): a pair read "
            "as the one character it encodes, a lone one as U+FFFD"
        )
    return Decoded(_as_utf8_xml(cleaned).encode("utf-8"), encoding, warnings)


def _bom(body: bytes) -> str | None:
    for mark, name in _BOMS:
        if body.startswith(mark):
            return name
    for start, name in _WIDE_STARTS:
        if body.startswith(start):
            return name
    return None


def _declared(body: bytes, content_type: str, warnings: list[str]) -> tuple[str, str] | None:
    """(Python codec name, name as written) from the XML declaration, else the HTTP charset."""
    sources = []
    found = _DECLARATION.match(body[:1024])
    if found:
        sources.append((found.group(1).decode("ascii"), "its XML declaration"))
    charset = _CHARSET.search(content_type)
    if charset:
        sources.append((charset.group(1), "the HTTP Content-Type"))
    for name, where in sources:
        try:
            codec = codecs.lookup(name).name
        except LookupError:
            warnings.append(f"unknown encoding {name!r} in {where}; the encoding was detected instead")
            continue
        if codec.startswith(("utf-16", "utf-32")):
            continue  # a wide encoding without a BOM is found by _bom, or not at all
        return codec, name
    return None


def _decode_counting(body: bytes, declared: tuple[str, str]) -> tuple[str, int]:
    """Text decoded with bad bytes replaced, and how many bad byte sequences there were."""
    try:
        return body.decode(declared[0]), 0
    except UnicodeDecodeError:
        pass
    text = body.decode(declared[0], errors="replace")
    try:  # a U+FFFD that the feed itself contains is not a bad byte
        own = body.count("\ufffd".encode(declared[0]))
    except UnicodeEncodeError:
        own = 0
    return text, max(1, text.count("\ufffd") - own)


def _non_ascii(body: bytes) -> int:
    return len(body) - len(body.decode("ascii", errors="ignore"))


def _undeclared(body: bytes, warnings: list[str], said: bool) -> tuple[str, str]:
    try:
        return "utf-8", body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    matches = charset_normalizer.from_bytes(body, cp_isolation=list(WEB_ENCODINGS))
    best = matches.best()
    if best is not None:
        # charset-normalizer ranks cp1250, cp1252 and cp1257 equal on Western text (same chaos
        # and coherence) and returns the first; windows-1252 is what such a feed almost always
        # is (the WHATWG default for undeclared Western pages), so a tie goes to it.
        tied = [m for m in matches if m.chaos == best.chaos and m.coherence == best.coherence]
        best = next((m for m in tied if m.encoding == _WESTERN), best)
    if best is not None and best.encoding:
        if not said:
            warnings.append(f"the feed does not say its encoding and is not UTF-8; read as {best.encoding}")
        return best.encoding, str(best)
    text = body.decode("utf-8", errors="replace")
    warnings.append(
        f"the feed's encoding could not be found; read as UTF-8 with {text.count(chr(0xFFFD))} "
        "bad byte sequence(s) replaced"
    )
    return "utf-8", text


def _as_utf8_xml(text: str) -> str:
    """Drop what precedes the XML declaration and make the declaration say UTF-8."""
    text = _LEADING.sub("", text.removeprefix("\ufeff"))
    return _DECLARATION_TEXT.sub(r'\1 encoding="utf-8"\3', text, count=1)
