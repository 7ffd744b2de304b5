"""Entry text with feedparser's sanitizer on vs off, over the feedparser corpus: which entries differ.

For every entry of every file, ``parse.entry_to_article`` + ``text.article.normalize_article`` run
on feedparser's output with ``sanitize_html`` (and ``resolve_relative_uris``) True and False; the
entries whose title, text or body differ are counted and the first ``--show`` are printed. Nothing
is asserted. Run: PYTHONPATH=. python bench/sanitize_text.py [corpus folder] [--show N]
"""

from __future__ import annotations

import argparse
import warnings
from datetime import UTC, datetime
from pathlib import Path

import feedparser

from pipeline.sources.parse import entry_to_article
from pipeline.text.article import normalize_article


def texts(body: bytes, sanitize: bool) -> list[tuple[str, str, str]]:
    """(title, text, body) of each entry of one feed document."""
    parsed = feedparser.parse(body, sanitize_html=sanitize, resolve_relative_uris=sanitize)
    out = []
    for entry in parsed.entries:
        article = entry_to_article(entry, "corpus", datetime(2024, 1, 1, tzinfo=UTC))
        try:
            normalize_article(article)
        except Exception as exc:  # a benchmark: note it and go on
            out.append((article.title, f"<{type(exc).__name__}>", ""))
            continue
        out.append((article.title, article.text, article.body))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "root",
        nargs="?",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared/corpora/feedparser",
    )
    parser.add_argument("--show", type=int, default=40)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    entries = differ = shown = 0
    for path in sorted(p for p in args.root.rglob("*") if p.is_file()):
        body = path.read_bytes()
        on, off = texts(body, True), texts(body, False)
        entries += len(on)
        for a, b in zip(on, off, strict=False):
            if a != b:
                differ += 1
                if shown < args.show:
                    shown += 1
                    print(f"{path.relative_to(args.root)}\n  on : {a!r:.300}\n  off: {b!r:.300}")
    print(f"{differ} of {entries} entries differ (title, text or body) between sanitize_html on and off")


if __name__ == "__main__":
    main()
