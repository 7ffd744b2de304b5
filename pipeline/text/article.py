"""Normalize: turn an entry's HTML into clean text, and separate out what must not be fingerprinted.

``Article.text`` is the readable text (paragraphs, repaired Unicode) shown in the output feed.
``Article.body`` is what gets fingerprinted: the text without its credit line ("Source: VOA"), its
dateline ("ASTANA —"), a teaser's "..."/"Read more" tail, and lines every site adds (share buttons,
"The post ... appeared first on ..."). ``Article.credit`` is the raw credited name, if any: the
text's credit line, else the outlet the item's ``<source>`` names (an aggregator's item).
"""

from __future__ import annotations

from pipeline.models import Article
from pipeline.text.clean import clean_line
from pipeline.text.credits import split_body, strip_headline
from pipeline.text.html import html_to_paragraphs

# Bump when a change here, in text/credits.py or in text/tokens.tokenize alters ``body`` or its tokens
# for the same input: stored signatures then no longer compare. 3: credit lines and teaser tails in
# many scripts, decimal digits of every script folded to ASCII (issue 13). 4: mojibake repaired before
# control characters are removed, invisible format characters (soft hyphen, zero-width) removed (issue 22).
NORMALIZER_VERSION = 4


def normalize_article(article: Article) -> None:
    """Normalize one article in place (see the module docstring for what each field holds)."""
    paragraphs = [clean_line(p) for p in html_to_paragraphs(article.raw_html)]
    paragraphs = [p for p in paragraphs if p]
    article.text = "\n\n".join(paragraphs)
    article.title = clean_line(article.title)
    body, article.credit, article.truncated = split_body(strip_headline(paragraphs, article.title))
    if article.credit is None and article.source:
        article.credit = clean_line(article.source)
    article.body = "\n".join(body)
    article.normalized = True
