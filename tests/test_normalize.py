"""normalize: HTML to text, Unicode repair, glued sentences, credit lines, datelines, teaser tails."""

from datetime import UTC, datetime

from pipeline.models import Article
from pipeline.stages.normalize import clean_line, html_to_paragraphs, normalize_article, split_body


def make(html: str) -> Article:
    return Article("feed", "k", "g", "http://x/1", "Title", datetime(2020, 1, 1, tzinfo=UTC), html)


def test_glued_sentences_of_the_seed_are_split() -> None:
    assert clean_line("direct negotiations.The negotiations") == "direct negotiations. The negotiations"
    assert clean_line("opened the talks.”It is now") == "opened the talks.” It is now"


def test_domains_and_abbreviations_are_not_split() -> None:
    assert clean_line("see voanews.com and the U.S. State Department") == (
        "see voanews.com and the U.S. State Department"
    )


def test_mojibake_is_repaired() -> None:
    assert clean_line("Kazakhstanâ€™s capital") == "Kazakhstan’s capital"


def test_html_blocks_become_paragraphs_and_scripts_vanish() -> None:
    html = "<p>One <b>bold</b> line.</p><script>alert(1)</script><div>Two<br>lines</div>"
    assert [p.strip() for p in html_to_paragraphs(html) if p.strip()] == [
        "One bold line.",
        "Two",
        "lines",
    ]


def test_credit_line_is_separated_from_the_body() -> None:
    article = make("<p>Talks opened in Astana on Monday.</p><p>Source: Voice of America</p>")
    normalize_article(article)
    assert article.credit == "Voice of America"
    assert "Source" not in article.body
    assert article.text.endswith("Source: Voice of America")


def test_many_credit_forms() -> None:
    for line, name in [
        ("Originally published by VOA News", "VOA News"),
        ("Credit: Reuters", "Reuters"),
        ("This article first appeared on voanews.com.", "voanews.com"),
        ("Via: Associated Press", "Associated Press"),
    ]:
        _, credit, _ = split_body(["Body text of the article goes here.", line])
        assert credit == name, line


def test_inline_credit_and_dateline() -> None:
    body, credit, _ = split_body(["WASHINGTON (AP) — Lawmakers met on Tuesday."])
    assert credit == "AP"
    assert body == ["Lawmakers met on Tuesday."]
    body, credit, _ = split_body([clean_line("ASTANA \ufffd Syrian government delegates gathered.")])
    assert credit is None
    assert body == ["Syrian government delegates gathered."]


def test_teaser_tail_is_stripped_and_flagged() -> None:
    for tail in ("in...", "in…", "in [...]", "in Read more", "in [&#8230;]"):
        article = make(f"<p>Delegates met on Monday to focus on the cease-fire {tail}</p>")
        normalize_article(article)
        assert article.truncated, tail
        assert article.body.endswith("cease-fire in"), (tail, article.body)


def test_wordpress_footer_is_boilerplate() -> None:
    body, _, _ = split_body(["Real text here.", "The post Talks open appeared first on Gazette."])
    assert body == ["Real text here."]
