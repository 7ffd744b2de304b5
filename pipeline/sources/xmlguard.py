"""Defuse a feed's DTD before it reaches an XML parser: keep plain-text entities, drop the rest.

feedparser strips unsafe entity declarations with line-based regexes, which a bomb written on one
line slips past; expat's own billion-laughs limit then stops it, but only after expanding tens of
megabytes. External entities are not loaded (feedparser turns that off), yet an entity that
points at a file has no business in a news feed. So before parsing, the internal DTD subset is
rewritten to hold only entities whose value is plain text: no ``&`` (nesting, the bombs), no
``%`` (parameter entities), no SYSTEM/PUBLIC (local files, XXE).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ROOT = re.compile(r"<[A-Za-z_]")
_DOCTYPE = re.compile(r"<!DOCTYPE", re.IGNORECASE)
_SAFE_ENTITY = re.compile(r"""<!ENTITY\s+([A-Za-z_][\w.\-]*)\s+(?:"([^"&%<]*)"|'([^'&%<]*)')\s*>""")
_ANY_ENTITY = re.compile(r"<!ENTITY", re.IGNORECASE)
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
_WIDE_STARTS = (
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x00<\x00?", "utf-16-be"),
)


@dataclass(frozen=True, slots=True)
class Defused:
    """The body to parse, and how many entity declarations were dropped from its DTD."""

    body: bytes
    dropped: int


def defuse_dtd(body: bytes) -> Defused:
    """Return ``body`` with its internal DTD subset reduced to plain-text entity declarations."""
    codec = _codec(body)
    text = body.decode(codec, errors="surrogateescape")
    found = _DOCTYPE.search(text)
    root = _ROOT.search(text)
    if found is None or (root is not None and root.start() < found.start()):
        return Defused(body, 0)
    bounds = _subset_bounds(text, found.end())
    if bounds is None:
        return Defused(body, 0)
    open_at, close_at, end_at = bounds
    subset = text[open_at + 1 : close_at]
    safe = [m.group(0) for m in _SAFE_ENTITY.finditer(subset)]
    dropped = len(_ANY_ENTITY.findall(subset)) - len(safe)
    if dropped == 0 and "%" not in subset:
        return Defused(body, 0)
    # One declaration per line: feedparser's own (line-based) entity handling then agrees with us.
    new_subset = " [\n" + "\n".join(safe) + "\n]>" if safe else ">"
    rebuilt = text[:open_at].rstrip() + new_subset + text[end_at + 1 :]
    return Defused(rebuilt.encode(codec, errors="surrogateescape"), max(dropped, 1))


def _codec(body: bytes) -> str:
    """latin-1 for every ASCII-compatible encoding (a lossless byte view), else the wide codec."""
    head = body[:4]
    for marks in (_WIDE_BOMS, _WIDE_STARTS):
        for prefix, codec in marks:
            if head.startswith(prefix):
                return codec
    return "latin-1"


def _subset_bounds(text: str, start: int) -> tuple[int, int, int] | None:
    """Positions of the internal subset's ``[`` and ``]`` and of the DOCTYPE's closing ``>``."""
    quote = ""
    open_at = -1
    close_at = -1
    index = start
    length = len(text)
    while index < length:
        char = text[index]
        if quote:
            if char == quote:
                quote = ""
        elif text.startswith("<!--", index):
            end = text.find("-->", index + 4)
            if end < 0:
                return None
            index = end + 3
            continue
        elif char in "\"'":
            quote = char
        elif char == "[" and open_at < 0:
            open_at = index
        elif char == "]" and open_at >= 0 and close_at < 0:
            close_at = index
        elif char == ">" and (open_at < 0 or close_at >= 0):
            return (open_at, close_at, index) if open_at >= 0 else None
        index += 1
    return None
