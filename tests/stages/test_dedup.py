"""dedup: exact verification of copies and teasers, and the negatives that must stay apart."""

from datetime import UTC, datetime, timedelta

from pipeline.config import DedupConfig
from pipeline.models import Article
from pipeline.stages.dedup import Deduplicator
from pipeline.stages.fingerprint import Fingerprinter
from pipeline.store.sqlite import State
from pipeline.text.similarity import compare
from pipeline.text.tokens import tokenize

ARTICLE = (
    "Syrian government and opposition delegates gathered Monday in Kazakhstan's capital for peace "
    "talks backed by Russia and Turkey that rebel sources said would not include direct negotiations. "
    "The negotiations in Astana were expected to focus on cementing a nation-wide cease-fire mediated "
    "by Russia, Iran and Turkey in December that has largely held. Previous cease-fire attempts "
    "involving the United States and United Nations quickly fell apart as the warring sides exchanged "
    "fire and blame. Prior peace talks, including the last held a year ago, have also made little "
    "progress in bringing an end to the conflict that began in March 2011. U.N. Special Envoy on Syria "
    "Staffan de Mistura is participating in the talks that will last at least until Tuesday."
)
DEDUP = DedupConfig()


def test_lightly_edited_copy_is_a_copy() -> None:
    edited = ARTICLE.replace(" said ", " say ").replace("Tuesday.", "Wednesday.")
    verdict = compare(tokenize(ARTICLE), tokenize(edited), DEDUP)
    assert verdict.relation == "copy"
    assert verdict.measure == "jaccard"
    assert verdict.score > 0.8


def test_teaser_is_contained_in_the_lead() -> None:
    teaser = " ".join(ARTICLE.split()[:30])
    verdict = compare(tokenize(teaser), tokenize(ARTICLE), DEDUP)
    assert verdict.relation == "teaser"
    assert verdict.measure == "lead_containment"
    assert verdict.score >= 0.9


def test_passage_from_the_middle_is_not_a_teaser() -> None:
    words = ARTICLE.split()
    middle = " ".join(words[60:85])
    own = "A different outlet wrote its own account and then quoted this passage at length: "
    verdict = compare(tokenize(own + middle), tokenize(ARTICLE), DEDUP)
    assert verdict.relation == "different"


def test_same_event_different_article_stays_apart() -> None:
    other = (
        "Members of the armed opposition arriving in the Kazakh capital on Monday said they had come to "
        "talk about the truce, not about a political settlement, and that they would pass their proposals "
        "to the government side through Russian and Turkish officials."
    )
    assert compare(tokenize(other), tokenize(ARTICLE), DEDUP).relation == "different"


def test_short_texts_are_never_merged() -> None:
    assert compare(tokenize("Photos of the day"), tokenize("Photos of the day"), DEDUP).relation == (
        "different"
    )


def test_a_teaser_that_fits_two_stories_joins_one_and_never_bridges_them(tmp_path) -> None:
    words = ARTICLE.split()
    opening = " ".join(words[:45])  # two reports open with the same wire paragraph
    other = (
        "Separately, aid agencies said convoys reached three besieged towns for the first time in "
        "months, carrying food, medicine and winter clothing for tens of thousands of residents who "
        "had been cut off since the summer, while engineers began repairing the water station that "
        "supplies the capital and its suburbs."
    )
    texts = {
        "a": opening + " " + " ".join(words[45:]),
        "b": opening + " " + other,
        "teaser": " ".join(words[:30]),
    }
    start = datetime(2017, 1, 23, tzinfo=UTC)
    state = State(tmp_path / "s.sqlite")
    fingerprinter = Fingerprinter(DEDUP)
    params_id = state.params_id(fingerprinter.params)
    articles = [
        Article(name, name, name, f"http://x/{name}", name, start + timedelta(hours=n), "", body=text)
        for n, (name, text) in enumerate(texts.items())
    ]
    with state.transaction():
        dedup = Deduplicator(state, DEDUP, params_id, start)
        done = {a.feed: a for a in dedup(fingerprinter(articles))}
    assert compare(tokenize(texts["a"]), tokenize(texts["b"]), DEDUP).relation == "different"
    assert done["a"].story_id != done["b"].story_id
    assert done["teaser"].story_id in (done["a"].story_id, done["b"].story_id)
    assert done["teaser"].match is not None and done["teaser"].match.relation == "teaser"
    state.close()
