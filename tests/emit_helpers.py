"""Helpers for the output tests: the demo configured with every optional output."""

from __future__ import annotations

import re
from pathlib import Path

PUBLIC_URL = "https://feeds.example.org/news/"


def enable_all_outputs(config: Path, url: str | None = PUBLIC_URL, extra: str = "") -> None:
    """Add ``[output] url``, ``json`` and ``html`` (and any ``extra`` output lines) to a demo config."""
    lines = ['json = "out/feed.json"', 'html = "out/audit.html"']
    if url:
        lines.insert(0, f'url = "{url}"')
    if extra:
        lines.append(extra)
    text = config.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^(json|html) = .*\n", "", text)  # the demo config may already have them
    text = text.replace("[output]\n", "[output]\n" + "\n".join(lines) + "\n", 1)
    config.write_text(text, encoding="utf-8")


def drop_feed(config: Path, name: str) -> None:
    """Remove one [[feeds]] table from a demo config."""
    text = config.read_text(encoding="utf-8")
    text = re.sub(rf'\[\[feeds\]\]\nname = "{name}"\nurl = "[^"]+"\n\n', "", text)
    config.write_text(text, encoding="utf-8")
