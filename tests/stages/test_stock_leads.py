"""Stock sentences: a lead one feed repeats is trimmed from every feed's entries, across runs, so
that a teaser on another feed still lies in its original's lead (issue 13, crowded corpus)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from pipeline.config import parse_config
from pipeline.runner import run
from pipeline.store.sqlite import State
from tests.conftest import read_report
from tests.feedserver import rss

STOCK_LEAD = "One of the crew is believed to have died from injuries on the way to the hospital."
_RNG = random.Random(5)


def words(count: int) -> str:
    return " ".join(f"w{_RNG.randrange(50_000)}" for _ in range(count))


def run_feeds(tmp_path: Path, feeds: dict[str, bytes], now: datetime) -> None:
    entries = []
    for name, body in feeds.items():
        path = tmp_path / "in" / f"{name}.xml"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(body)
        entries.append({"name": name, "url": str(path)})
    output = {"rss": "out/feed.rss", "atom": "out/feed.atom", "report": "out/clusters.jsonl"}
    data = {"feeds": entries, "output": output, "state": {"path": "state/s.sqlite"}}
    run(parse_config(data, tmp_path / "config.toml"), now=now)


def test_a_teaser_keeping_a_stock_lead_its_original_lost_joins_it_in_a_later_run(tmp_path: Path) -> None:
    own = [f"{words(20)}. {words(60)}." for _ in range(3)]
    wire = rss(*((f"w{n}", f"Wire {n}", f"{STOCK_LEAD} {text}") for n, text in enumerate(own)), title="Wire")
    run_feeds(tmp_path, {"Wire": wire}, datetime(2017, 1, 23, 10, tzinfo=UTC))
    state = State(tmp_path / "state/s.sqlite")
    assert len(state.stock_sentences()) == 1  # learned from the wire's three entries, and kept
    state.close()

    # A later run: another feed's teaser of story 0, its stock lead and its first own sentence.
    first_sentence = own[0].split(". ")[0]
    teaser = rss(("t0", "Teaser", f"{STOCK_LEAD} {first_sentence} ..."), title="Digest")
    run_feeds(tmp_path, {"Wire": wire, "Digest": teaser}, datetime(2017, 1, 23, 11, tzinfo=UTC))
    [story] = [s for s in read_report(tmp_path / "out/clusters.jsonl") if len(s["members"]) > 1]
    assert {m["link"] for m in story["members"]} == {"http://example.org/w0", "http://example.org/t0"}
    assert {m["relation"] for m in story["members"]} == {"original", "teaser"}
