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


STOCK_LEAD = "One of the crew is believed to have died from injuries on the way to hospital."


def test_a_stock_lead_one_feed_repeats_is_trimmed_from_every_feeds_entries() -> None:
    wire = [
        make(f"{STOCK_LEAD} Story {word} goes on with its own sentences here.", n)
        for n, word in enumerate(("alpha", "beta", "gamma"))
    ]
    # Another feed's teaser of the first story: the stock lead and the story's own first words.
    teaser = Article("other", "t", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "")
    teaser.body = f"{STOCK_LEAD} Story alpha goes on with its own sentences here..."
    quoting = Article("other", "q", "g", "l", "t", datetime(2020, 1, 1, tzinfo=UTC), "")
    quoting.body = f"A report of its own opens this one. {STOCK_LEAD} It ends in its own way."
    stock: set[int] = set()
    strip_boilerplate([teaser, quoting, *wire], 3, memory_store(), stock)
    assert wire[0].body == "Story alpha goes on with its own sentences here."
    assert teaser.body == "Story alpha goes on with its own sentences here..."
    assert STOCK_LEAD in quoting.body  # in the middle of a text, a stock sentence stays
    assert len(stock) == 1


def test_stock_sentences_learned_earlier_are_trimmed_later_and_never_empty_a_body() -> None:
    stock: set[int] = set()
    wire = [make(f"{STOCK_LEAD} Story {n} has words of its own to say.", n) for n in range(3)]
    strip_boilerplate(wire, 3, memory_store(), stock)
    later = Article("other", "l", "g", "l", "t", datetime(2020, 1, 2, tzinfo=UTC), "")
    later.body = f"{STOCK_LEAD} A later teaser of its own"
    alone = Article("other", "a", "g", "l", "t", datetime(2020, 1, 2, tzinfo=UTC), "")
    alone.body = STOCK_LEAD
    strip_boilerplate([later, alone], 3, memory_store(), stock)  # a new run, another feed's counts
    assert later.body == "A later teaser of its own"
    assert alone.body == STOCK_LEAD  # nothing of its own left: kept rather than sign nothing


def _reference_keys(body: str) -> tuple[list[int], set[int], tuple[int, ...]]:
    """The keys as first written: every sentence cut by the sentence regex, every key via line_key."""
    from pipeline.text.boilerplate import _countable, sentence_key, sentences
    from pipeline.text.boilerplate import line_key as key

    paragraph_keys: list[int] = []
    counted: set[int] = set()
    for paragraph in body.split("\n"):
        if paragraph:
            paragraph_keys.append(key(paragraph))
            counted.add(key(paragraph))
            counted.update(sentence_key(s) for s in sentences(paragraph) if _countable(s))
    edges = []
    for edge, paragraph in ((0, body.partition("\n")[0]), (-1, body.rpartition("\n")[2])):
        parts = sentences(paragraph)
        if parts and _countable(parts[edge]):
            edges.append(sentence_key(parts[edge]))
    return paragraph_keys, counted, tuple(edges)


def test_body_keys_equal_the_sentence_regex_on_random_and_odd_bodies() -> None:
    """The ASCII fast path cuts sentences with string methods: same keys as the regex everywhere."""
    import random

    from pipeline.text.boilerplate import body_keys, edge_keys, line_keys

    rng = random.Random(15)
    alphabet = ["Talks", "open", "in", "ASTANA", "today", ".", "!", "?", "…", " ", "  ", "\t", "\n", "\n\n"]
    alphabet += ["。", "！", "é", "ß", "İ", "\x1f", "\u00a0", "\u2003", "x" * 25, "Mr.", "U.S.", ",", "\x00"]
    bodies = [
        "",
        "\n",
        "One. Two three four five. Six!",
        "Fire crews battle a blaze near Sydney.\nBush Telegraph is free. Support us: join today.",
        " Leading space. And a sentence of five words.  Double  spaced. ",
        "Short. Ok? Yes! Another sentence of some length here… Next one follows here",
        "Straße ist lang. Die Straße ist sehr lang und breit.\n\nİstanbul. Ein Satz mit vier Wörtern.",
        "句子。下一个句子！第三个？ And an English sentence of words.",
    ]
    bodies += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60))) for _ in range(3000)]
    words = ["a", "Talks", "U.S.", "end.", "why?", "Stop!", "x" * 21, "...", "!", "'Quote.'", "?!"]
    paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    bodies += ["\n".join(paragraphs[i : i + 3]) for i in range(0, 3000, 3)]  # the ASCII fast path
    for body in bodies:
        expected = _reference_keys(body)
        assert body_keys(body) == expected, repr(body)
        assert line_keys(body) == expected[:2], repr(body)
        assert edge_keys(body) == expected[2], repr(body)
