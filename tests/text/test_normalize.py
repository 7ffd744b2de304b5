"""normalize: HTML to text, Unicode repair, glued sentences, credit lines, datelines, teaser tails."""

from datetime import UTC, datetime

from pipeline.config import DedupConfig
from pipeline.models import Article
from pipeline.text.article import normalize_article
from pipeline.text.clean import clean_line
from pipeline.text.credits import split_body, strip_headline
from pipeline.text.html import html_to_paragraphs
from pipeline.text.similarity import compare
from pipeline.text.tokens import tokenize


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


def test_more_credit_forms_and_scripts() -> None:
    for line, name in [
        ("© Reuters", "Reuters"),
        ("(c)AFPBB News", "AFPBB News"),
        ("(AAP)", "AAP"),
        (clean_line("来源：新华社"), "新华社"),
        ("المصدر: سي إن إن", "سي إن إن"),
    ]:
        _, credit, _ = split_body(["Body text of the article goes here.", line])
        assert credit == name, line
    # An editor's line in brackets is staff, not a source.
    assert split_body(["正文。", clean_line("（编辑：严玉洁 王辉）")])[1] is None


def test_credit_glued_to_the_text_is_separated() -> None:
    body, credit, _ = split_body([clean_line('Shot to pieces".Originally published by VOA News.')])
    assert credit == "VOA News" and body == ['Shot to pieces".']
    body, credit, _ = split_body([clean_line("In this industry'.\"Originally published by aap.com.au.")])
    assert credit == "aap.com.au" and body == ["In this industry'.\""]
    body, credit, _ = split_body([clean_line("This article first appeared on VOA.Today is World Aids Day.")])
    assert credit == "VOA" and body == ["Today is World Aids Day."]
    body, credit, truncated = split_body([clean_line("The talks opened in the capital […] Source: AAP")])
    assert (body, credit, truncated) == (["The talks opened in the capital"], "AAP", True)


def test_teaser_tail_before_a_site_footer_is_found() -> None:
    footer = "Metro Digest brings you the stories that matter from around the country every single day."
    body, _, truncated = split_body(["Delegates met on Monday to focus on the cease-fire…", footer])
    assert truncated
    assert body == ["Delegates met on Monday to focus on the cease-fire"]
    body, _, truncated = split_body(["Delegates met on Monday to focus on the cease-fire", "Read more"])
    assert truncated and body == ["Delegates met on Monday to focus on the cease-fire"]


def test_an_ellipsis_inside_a_long_article_is_not_a_teaser_cut() -> None:
    paragraphs = ['He said "we will see..."', *(f"Paragraph {i} of the article." for i in range(5))]
    body, _, truncated = split_body(paragraphs)
    assert not truncated and len(body) == 6


def test_plain_text_line_breaks_after_a_sentence_end_a_paragraph() -> None:
    text = "A wrapped\nline of text. The next...\nSite footer here.\n\nSecond para"
    assert html_to_paragraphs(text) == [
        "A wrapped\nline of text. The next...",
        "Site footer here.",
        "Second para",
    ]


def test_plain_text_with_an_ampersand_is_still_plain_text() -> None:
    text = "Dun & Bradstreet says sales rose.\nOriginally published by abc.net.au.\nSite footer here."
    assert html_to_paragraphs(text) == [
        "Dun & Bradstreet says sales rose.",
        "Originally published by abc.net.au.",
        "Site footer here.",
    ]
    assert html_to_paragraphs("<p>Dun &amp; Bradstreet</p>") != [] and "&amp;" not in "".join(
        html_to_paragraphs("<p>Dun &amp; Bradstreet</p>")
    )


def test_headline_repeated_at_the_start_of_a_listing_is_dropped() -> None:
    title = "Talks open in Astana today | Daily Planet"
    assert strip_headline(["Talks open in Astana today: Delegates met on Monday."], title) == [
        "Delegates met on Monday."
    ]
    assert strip_headline(["Talks open in Astana today", "Body."], title) == ["Body."]
    assert strip_headline(["Talks open in Astana today — Delegates met."], "Talks open in Astana today") == [
        "Delegates met."
    ]
    # A lead sentence that happens to be the headline stays: only ":" "|" " — " separate a headline.
    assert strip_headline(["Talks open in Astana today. Delegates met."], "Talks open in Astana today") == [
        "Talks open in Astana today. Delegates met."
    ]


def test_a_copyright_line_yields_to_a_real_credit() -> None:
    body, credit, _ = split_body(["SYDNEY (AAP) - Fire crews battled a blaze.", "© 2001 Global Reader Media"])
    assert credit == "AAP" and body == ["Fire crews battled a blaze."]
    assert split_body(["Fire crews battled a blaze.", "© Reuters"])[1] == "Reuters"


def test_decimal_digits_of_every_script_are_ascii_tokens() -> None:
    for digits in (
        "٢٠٢٥",
        "۲۰۲۵",
        "２０２５",
        "२०२५",
        "২০২৫",
    ):  # Arabic-Indic, Persian, full-width, Devanagari, Bengali
        assert tokenize(f"في عام {digits} ارتفع")[-2] == "2025", digits
    assert tokenize("ปี ๒๕๖๘")[-1] == "2568"  # Thai digits (inside the unspaced Thai range) join as one number
    assert tokenize("٣.٥ مليار") == ["3", "5", "مليار"]


def test_a_numeric_teaser_in_arabic_indic_digits_matches_its_original() -> None:
    lead = "ارتفعت الأسعار بنسبة 3.5 في المئة في عام 2025 وبلغ عدد السكان 12 مليون نسمة"
    rest = " في الرياض وجدة والدمام، وقالت الوزارة إن الزيادة تعود إلى ارتفاع تكاليف النقل والطاقة"
    original = lead + rest * 3
    teaser = "ارتفعت الأسعار بنسبة ٣٫٥ في المئة في عام ٢٠٢٥ وبلغ عدد السكان ١٢ مليون نسمة"
    article = make(f"<p>{teaser} اقرأ المزيد</p>")
    normalize_article(article)
    assert article.truncated
    verdict = compare(tokenize(article.body), tokenize(original), DedupConfig())
    assert verdict.relation == "teaser" and verdict.score == 1.0


def test_a_full_chinese_article_ending_in_an_ellipsis_is_not_truncated() -> None:
    sentence = "会谈于周一在首都开始双方讨论了停火和人道主义援助问题"
    full = make("".join(f"<p>{'。'.join([sentence] * 4)}。</p>" for _ in range(3)) + f"<p>{sentence}……</p>")
    normalize_article(full)
    assert not full.truncated
    teaser = make(f"<p>{sentence}……</p>")
    normalize_article(teaser)
    assert teaser.truncated and teaser.body == sentence


def test_split_differs_equals_its_regex() -> None:
    import random

    from pipeline.text.clean import _SPLIT_DIFFERS, _split_differs

    rng = random.Random(15)
    characters = ["a", " ", "\x1f", "\u200b", "\u1680", "é", "\u3000", "\x1e", "\n"]
    for _ in range(5000):
        text = "".join(rng.choice(characters) for _ in range(rng.randint(0, 8)))
        assert _split_differs(text) == bool(_SPLIT_DIFFERS.search(text)), repr(text)
