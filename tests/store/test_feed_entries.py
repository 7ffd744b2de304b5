"""SQLite state: identity matching reads only the stored entries a fetch could match (issue 24), and
decides exactly as it does with every stored entry of the feed."""

from __future__ import annotations

import copy
import random
from datetime import UTC, datetime
from pathlib import Path

from pipeline.models import Article
from pipeline.store.sqlite import State
from pipeline.text.identity import KEY_SEPARATOR, Resolution, content_hash, resolve, text_hash, url_key

WHEN = datetime(2025, 11, 5, tzinfo=UTC)
_WORDS = [a + b + c for a in "bdfgklmnprst" for b in "aeiou" for c in "nrst"]
# texts long enough to have a text hash (identity.MIN_TEXT_CHARS), sharing few words (hashes ignore digits)
TEXTS = [" ".join(random.Random(seed).choices(_WORDS, k=60)) for seed in range(12)]
TEXTS += [" ".join(random.Random(seed).choices(_WORDS, k=8)) for seed in range(4)]  # no text hash


def entry(feed: str, key: str, link: str, title: str, html: str) -> Article:
    return Article(
        feed=feed,
        entry_key=key,
        guid=key,
        link=link,
        title=title,
        published=WHEN,
        raw_html=html,
        text=html,
        body=html,
        content_hash=content_hash(title, html),
        text_hash=text_hash(title, html),
    )


def store(state: State, article: Article) -> None:
    article.story_id = f"s{article.entry_key}"
    state.add_story(article.story_id)
    state.add_article(article, WHEN)


def fill(state: State, rng: random.Random) -> None:
    """A feed whose stored entries share links, content hashes and text hashes in every way the
    matching rules count them; and another feed with the same links and texts (never matched)."""
    keys: set[str] = set()
    with state.transaction():
        for index in range(40):
            link = f"https://site.example/{rng.randrange(12)}"
            key = url_key(link) or "" if rng.random() < 0.3 else ""
            key = key if key and key not in keys else f"guid-{index}"
            keys.add(key)
            title = f"Title {rng.randrange(8)}"
            store(state, entry("F", key, link, title, rng.choice(TEXTS)))
            store(state, entry("G", f"g-{index}", link, title, rng.choice(TEXTS)))
        for index in range(0, 40, 4):  # ids reused by another text before: keyed by content hash
            text = rng.choice(TEXTS)  # ... and for some, that text was corrected in place since
            reused = f"guid-{index}{KEY_SEPARATOR}{content_hash('Reused', text)}"
            stored = rng.choice(TEXTS) if index % 8 else text
            store(state, entry("F", reused, f"https://site.example/r{index}", "Reused", stored))


def fetch(rng: random.Random, state: State) -> list[Article]:
    """One fetch of feed F: stored keys (same, retitled or rewritten), re-keyed entries (same link,
    text or content), ids reused for another text, and new entries."""
    stored = state.feed_entries("F")
    out: list[Article] = []
    used: set[str] = set()
    for index in range(rng.randrange(1, 15)):
        base = rng.choice(stored)
        text = state.article_text(base.id)
        kind = rng.randrange(6)
        key = base.entry_key if kind < 3 else f"new-{index}-{rng.randrange(10**6)}"
        if kind == 3:  # re-keyed, same link
            key = url_key(base.link + "?v=2") or key
        if key in used:
            continue
        used.add(key)
        title = base.title if kind in (0, 3, 4) else f"Title {rng.randrange(8)}"
        html = text if kind in (0, 1, 3, 4, 5) else rng.choice(TEXTS)
        if KEY_SEPARATOR in key and kind == 2:  # the reused id's text again, under its own id
            key, title = key.split(KEY_SEPARATOR)[0], "Reused"
            html = next(t for t in TEXTS if content_hash(title, t) == base.entry_key.split(KEY_SEPARATOR)[1])
        link = base.link if kind in (0, 1, 2, 3) else f"https://site.example/n{rng.randrange(6)}"
        if title == "Reused" and kind == 2:  # ... at a link of its own: found by its key alone
            link = f"https://site.example/again{index}"
        out.append(entry("F", key, link, title, html))
    return out


def outcome(found: Resolution) -> tuple:
    pairs = [
        sorted((a.entry_key, e.id) for a, e in part) for part in (found.unchanged, found.metadata, found.text)
    ]
    return sorted(a.entry_key for a in found.new), *pairs, found.reused_ids


def test_entries_read_by_index_resolve_as_every_entry_does(tmp_path: Path) -> None:
    rng = random.Random(24)
    state = State(tmp_path / "s.sqlite")
    try:
        fill(state, rng)
        every = state.feed_entries("F")
        assert every == sorted(every, key=lambda e: e.id)
        decided = set()
        for _ in range(300):
            fetched = fetch(rng, state)
            subset = state.feed_entries("F", fetched)
            assert {e.id for e in subset} <= {e.id for e in every}
            full = resolve(copy.deepcopy(fetched), every, state.article_text)
            read = resolve(copy.deepcopy(fetched), subset, state.article_text)
            assert outcome(read) == outcome(full)
            decided.update(
                name
                for name, part in zip(("new", "same", "meta", "text"), outcome(full)[:4], strict=True)
                if part
            )
            decided.update(["reused"] if full.reused_ids else [])
        assert decided == {"new", "same", "meta", "text", "reused"}  # every rule met
        unrelated = [entry("F", "other", "https://elsewhere.example/1", "Other", "A short new text.")]
        assert state.feed_entries("F", unrelated) == []  # nothing read for entries matching none
    finally:
        state.close()


def test_a_state_with_keys_of_an_older_form_reads_every_entry(tmp_path: Path) -> None:
    """Keys stored by versions before entry identity (a raw URL) are matched through ``id_key``:
    such a state keeps reading every entry of a fetched feed."""
    path = tmp_path / "s.sqlite"
    state = State(path)
    with state.transaction():
        store(state, entry("F", "https://site.example/a", "https://site.example/a", "A", TEXTS[0]))
    state.db.execute("DELETE FROM meta WHERE key='entry_keys_normal'")
    state.close()
    state = State(path)
    try:
        fetched = [entry("F", "//site.example/a", "https://site.example/a", "A", TEXTS[0])]
        assert [e.entry_key for e in state.feed_entries("F", fetched)] == ["https://site.example/a"]
        found = resolve(fetched, state.feed_entries("F", fetched), state.article_text)
        assert [e.id for _, e in found.unchanged] == [1]
        assert KEY_SEPARATOR not in fetched[0].entry_key
    finally:
        state.close()


def test_other_parameter_sets_are_counted(tmp_path: Path) -> None:
    from pipeline.config import DedupConfig
    from pipeline.models import SignatureParams
    from pipeline.stages.fingerprint import Fingerprinter

    state = State(tmp_path / "s.sqlite")
    try:
        fingerprinter = Fingerprinter(DedupConfig())
        article = entry("F", "k1", "https://site.example/1", "T", TEXTS[1])
        fingerprinter.sign_many([article])
        assert article.signature is not None
        with state.transaction():
            store(state, article)
            state.add_signature(1, 2, article.signature, [])
            store(state, entry("F", "k2", "https://site.example/2", "T", TEXTS[2]))
            state.add_signature(2, 5, article.signature, [])
        assert isinstance(fingerprinter.params, SignatureParams)
        assert [state.count_signatures_with_other_params(p) for p in (1, 2, 5, 9)] == [2, 1, 1, 2]
    finally:
        state.close()


def test_each_read_goes_by_the_looked_up_column(tmp_path: Path) -> None:
    """Every query names what it looks up by its own index, never a read of the feed's entries."""
    rng = random.Random(5)
    state = State(tmp_path / "s.sqlite")
    try:
        fill(state, rng)
        fetched, statements = fetch(rng, state), list[str]()
        state.db.set_trace_callback(statements.append)
        state.feed_entries("F", fetched)
        state.db.set_trace_callback(None)
        plans = {s: " ".join(r[-1] for r in state.db.execute("EXPLAIN QUERY PLAN " + s)) for s in statements}
        assert len(plans) == 4, plans
        for statement, plan in plans.items():
            column = statement.split(" WHERE ")[1].split(" IN ")[0]
            assert f"({column}=?)" in plan or f"(feed=? AND {column}=?)" in plan, (statement, plan)
    finally:
        state.close()
