"""Map a config key path (``output.max_items``, ``feeds[1].name``) to its line in a TOML file.

tomllib reports line numbers only for syntax errors; a value that parses but is wrong (an
unknown key, a threshold of 7) needs its line found again. This is a light line scanner, enough
for config files people write: table headers, ``[[array]]`` headers, ``key = value`` lines with
bare, quoted or dotted keys; multi-line strings and arrays are skipped over.
"""

from __future__ import annotations

import json
import re

_KEY_PART = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+))\s*')


def _split_key(text: str) -> list[str] | None:
    """``a."b.c".d`` -> ["a", "b.c", "d"]; None if ``text`` is not a TOML key."""
    parts: list[str] = []
    position = 0
    while True:
        match = _KEY_PART.match(text, position)
        if not match:
            return None
        basic, literal, bare = match.groups()
        parts.append(_unescape(basic) if basic is not None else literal or bare or "")
        position = match.end()
        if position == len(text):
            return parts
        if text[position] != ".":
            return None
        position += 1


def _unescape(basic: str) -> str:
    """A basic (double-quoted) key's escapes are JSON's, plus \\UXXXXXXXX which keys rarely use."""
    try:
        return str(json.loads(f'"{basic}"'))
    except ValueError:
        return basic


def _key_and_rest(line: str) -> tuple[list[str], str] | None:
    """Split ``key = value`` at the first '=' outside quotes."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "=":
            key = _split_key(line[:index].strip())
            return (key, line[index + 1 :].strip()) if key else None
        elif char == "#":
            return None
    return None


def _open_brackets(value: str) -> int:
    """Net count of '[' over ']' outside strings and comments (for multi-line arrays)."""
    depth, quote = 0, ""
    for char in value:
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "#":
            break
        elif char == "[":
            depth += 1
        elif char == "]":
            depth -= 1
    return depth


def key_lines(text: str) -> dict[str, int]:
    """Key path -> 1-based line number for every table header and key in ``text``."""
    lines: dict[str, int] = {}
    arrays: dict[str, int] = {}
    table = ""
    skip_until: str | None = None
    depth = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if skip_until is not None:
            if skip_until in line:
                skip_until = None
            continue
        if depth > 0:
            depth += _open_brackets(line)
            continue
        if not line or line.startswith("#"):
            continue
        header = re.match(r"^(\[\[?)\s*(.+?)\s*(\]\]?)\s*(#.*)?$", line)
        if header and header.group(1) == "[[" and header.group(3) == "]]":
            parts = _split_key(header.group(2))
            if parts:
                name = ".".join(parts)
                index = arrays[name] = arrays.get(name, -1) + 1
                table = f"{name}[{index}]"
                lines.setdefault(name, number)
                lines[table] = number
            continue
        if header and header.group(1) == "[" and header.group(3) == "]":
            parts = _split_key(header.group(2))
            if parts:
                table = ".".join(parts)
                lines.setdefault(table, number)
            continue
        found = _key_and_rest(line)
        if not found:
            continue
        key, value = found
        path = ".".join([table, *key] if table else key)
        lines.setdefault(path, number)
        for delimiter in ('"""', "'''"):
            if value.startswith(delimiter) and value.count(delimiter) == 1:
                skip_until = delimiter
        if value.startswith("["):
            depth = _open_brackets(value)
    return lines


def line_of(lines: dict[str, int], key: str) -> int | None:
    """The line of ``key``, or of the nearest enclosing table that the file has."""
    path = key.strip("[]")
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None
