"""boilerplate: per-feed repeated paragraphs, and footers glued to the text sentence by sentence."""

from datetime import UTC, datetime

from pipeline.models import Article
from pipeline.text.boilerplate import strip_boilerplate

FOOTER = "Bush Telegraph is delivered free by volunteers. Support country journalism: join today."


def make(body: str, n: int) -> Article:
    return Article("feed", f"k{n}", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "", body=body)


def memory_store():
    stored: dict[int, int] = {}

    def counts(feed: str, new: dict[int, int]) -> dict[int, int]:
        for key, n in new.items():
            stored[key] = stored.get(key, 0) + n
        return {key: stored[key] for key in new}

    return counts


def test_footer_paragraph_repeated_in_three_entries_is_dropped() -> None:
    texts = ["Fire crews battle a blaze near Sydney.", "Talks open in Astana today.", "Markets fall again."]
    articles = [make(f"{t}\n{FOOTER}", n) for n, t in enumerate(texts)]
    strip_boilerplate(articles, 3, memory_store())
    assert [a.body for a in articles] == texts


def test_footer_glued_to_the_last_paragraph_is_trimmed_sentence_by_sentence() -> None:
    texts = [
        "Fire crews battle a blaze near Sydney.",
        "Talks open in Astana today.",
        "Markets fall again today.",
    ]
    articles = [make(f"{t} {FOOTER}", n) for n, t in enumerate(texts)]
    strip_boilerplate(articles, 3, memory_store())
    assert [a.body for a in articles] == texts


def test_repeated_sentence_in_the_middle_is_kept() -> None:
    quote = "The minister said the government would not negotiate with anyone at all."
    bodies = [f"Story number {n} starts here today. {quote} It ends in its own way {n}." for n in range(3)]
    articles = [make(b, n) for n, b in enumerate(bodies)]
    strip_boilerplate(articles, 3, memory_store())
    assert [a.body for a in articles] == bodies


def test_counts_persist_across_runs() -> None:
    store = memory_store()
    first = [make(f"Story {n} is about something else entirely.\n{FOOTER}", n) for n in range(2)]
    strip_boilerplate(first, 3, store)
    assert FOOTER in first[0].body  # seen twice only
    later = make(f"A later story about the weather.\n{FOOTER}", 9)
    strip_boilerplate([later], 3, store)
    assert later.body == "A later story about the weather."
