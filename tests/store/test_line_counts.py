"""SQLite state: per-feed boilerplate line counts add up across calls and runs."""

from pathlib import Path

from pipeline.store.sqlite import State


def test_line_counts_return_stored_plus_new_totals(tmp_path: Path) -> None:
    state = State(tmp_path / "s.sqlite")
    try:
        with state.transaction():
            assert state.add_line_counts("A", {3: 1, 1: 2}) == {3: 1, 1: 2}
            assert state.add_line_counts("B", {3: 5}) == {3: 5}  # feeds are counted apart
        with state.transaction():
            assert state.add_line_counts("A", {1: 1, 2: 4}) == {1: 3, 2: 4}
        rows = sorted(state.db.execute("SELECT feed, line, entries FROM feed_lines"))
        assert rows == [("A", 1, 3), ("A", 2, 4), ("A", 3, 1), ("B", 3, 5)]
    finally:
        state.close()
