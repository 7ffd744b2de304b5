"""``entry_hashes`` folds an entry once for both of its hashes: it must equal ``content_hash`` and
``text_hash`` apart, or stored entries would stop matching the entries fetched again."""

from __future__ import annotations

import random

import pytest

from pipeline.text.identity import MIN_TEXT_CHARS, content_hash, entry_hashes, text_hash

_LONG = (
    "The harbour authority said on Tuesday that the northern quay would reopen after 14 months of "
    "repairs, and that ferries to the islands would resume their summer timetable next week."
)
assert len(_LONG) > MIN_TEXT_CHARS

CASES = [
    ("", ""),
    ("Title only", ""),
    ("", _LONG),
    ("Harbour reopens", _LONG),
    ("Harbour reopens", f"Harbour reopens {_LONG}"),  # the text starts with the headline
    ("Harbour reopens", f"<p>HARBOUR   reopens</p><p>{_LONG}</p>"),
    ("Vote 42", "<p>348 readers</p> short"),  # short text: no text hash
    ("Harbour", "x" * (MIN_TEXT_CHARS - 1)),  # one below the floor
    ("Harbour", "x" * MIN_TEXT_CHARS),
    ("<b>Bold</b> title", _LONG),  # a tag in the title
    ("An <unclosed title", f"<p>{_LONG}</p>"),  # a tag opened in the title runs on into the text
    ("Fish &amp; chips &lt;b&gt;", f"{_LONG} &nbsp;&#49;&#x32; &copy"),
    ("ΟΔΟΣ ΚΛΕΙΣΤΗ", "Η ΟΔΟΣ ΠΑΡΑΜΕΝΕΙ ΚΛΕΙΣΤΗ ΣΗΜΕΡΑ. " * 8),  # final sigma
    ("İstanbul", "İSTANBUL LİMANI YENİDEN AÇILDI " * 8),  # lower() lengthens İ
    ("Ünïcödé", "Straße ٣٤ readers ٥ " * 12),  # Arabic-Indic digits are dropped as digits
    ("a\x1cb", "c\x1dd\xa0e\u2003f " * 40),  # separators str.split() knows
    ("T", "<p>kept</p><script>track('x')</script><STYLE>p {}</STYLE>" + _LONG),
    ("T\nU", "line\r\nline\tline " * 30),
]


@pytest.mark.parametrize(("title", "html"), CASES)
def test_entry_hashes_equal_the_two_hashes(title: str, html: str) -> None:
    assert entry_hashes(title, html) == (content_hash(title, html), text_hash(title, html))


def test_entry_hashes_equal_the_two_hashes_on_random_entries() -> None:
    """Random titles and texts from words, ASCII, entities, tags, hidden elements and non-ASCII
    pieces: all-ASCII entries, mixed ones (one part ASCII and the other not takes different folding
    paths in the two computations), texts above and below ``MIN_TEXT_CHARS``."""
    # A lone "<" would open a tag that swallows the rest (the fixed cases have one); tags come whole.
    ascii_pieces = [chr(c) for c in range(32, 127) if chr(c) != "<"] + [
        *("harbour ", "ferry ", "Quay ", "Vote 42 ", " ", "\n", "\x1c", "&amp;", "&#49;", "&nbsp;"),
        *("&lt;", "<b>", "</p>", "<p class=x>", "<script>x</script>", "<style>p{}</style>"),
    ]
    other_pieces = ["\xa0", "é", "Σ", "ΟΔΟΣ ", "İ", "ß", "٣", "日本", "\u2003", "Straße "]
    rng = random.Random(24)
    with_text_hash = mixed = 0
    for _ in range(3000):
        pieces = ascii_pieces if rng.random() < 0.5 else ascii_pieces + other_pieces
        title = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 10)))
        body = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 300)))
        if rng.random() < 0.3:
            body = title + " " + body  # the text starts with the headline
        hashes = entry_hashes(title, body)
        assert hashes == (content_hash(title, body), text_hash(title, body)), repr((title, body))
        with_text_hash += bool(hashes[1])
        mixed += title.isascii() != body.isascii()
    assert with_text_hash > 500 and mixed > 200  # the generator reaches both kinds
