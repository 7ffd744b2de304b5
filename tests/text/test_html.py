"""HTML to text without feedparser's sanitizer: void and fallback tags keep the text after them."""

from __future__ import annotations

from pipeline.text.html import html_to_paragraphs
from pipeline.text.identity import content_hash


def _text(html: str) -> str:
    return " ".join(" ".join(html_to_paragraphs(html)).split())


def test_text_after_an_embed_is_kept() -> None:
    # libxml2 nests what follows <embed> inside it; dropping the embed used to drop the text.
    assert _text("x <embed src=a> safe description") == "x safe description"
    assert _text("a <wbr>b <source src=s> c <track src=t> d <p>e</p>") == "a b c d e"


def test_object_fallback_text_is_kept_and_its_embed_unwrapped() -> None:
    assert _text('safe<object classid="x"> description') == "safe description"
    assert _text("<object><param name=a><embed src=b></object>after") == "after"


def test_scripts_styles_iframes_and_applets_are_dropped_with_their_content() -> None:
    html = "a <script>alert(1)</script>b <style>p{}</style>c <iframe>d</iframe>e <applet>f</applet>g"
    assert _text(html) == "a b c e g"


def test_content_hash_ignores_script_and_style_content() -> None:
    # Entries stored while feedparser's sanitizer removed these keep their hash without it.
    sanitized = "<p>Harbour reopens</p>"
    raw = "<p>Harbour reopens</p><script>track('x')</script><STYLE>p {}</STYLE>"
    assert content_hash("T", raw) == content_hash("T", sanitized)
    assert content_hash("T", "<p>Harbour closes</p>") != content_hash("T", sanitized)


def test_content_hash_of_ascii_text_equals_the_regex_steps() -> None:
    """ASCII text is folded as bytes (digits, case, the 0x1c-0x1f separators): the same hashes as
    the regex steps stored hashes were made with, so stored entries keep theirs."""
    import random
    import re
    from html import unescape

    import xxhash

    def reference(title: str, html: str) -> str:
        text = unescape(re.sub(r"<[^>]*>?", " ", f"{title}\n{html}"))
        return xxhash.xxh3_64_hexdigest(" ".join(re.sub(r"\d+", " ", text).lower().split()).encode())

    rng = random.Random(15)
    characters = [chr(c) for c in range(128)] + ["Vote 42", "&amp;", "&#49;", "<b>", "é", " "]
    for _ in range(3000):
        title = "".join(rng.choice(characters) for _ in range(rng.randint(0, 8)))
        html = "".join(rng.choice(characters) for _ in range(rng.randint(0, 40))).replace("<s", "<x")
        assert content_hash(title, html) == reference(title, html), repr((title, html))
