"""Fixtures of the stage tests: an empty store on each index backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.config import IndexConfig
from pipeline.store import Store
from pipeline.store.sqlite import State


@pytest.fixture(params=["sqlite", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend."""
    state = State(tmp_path / "s.sqlite")
    if request.param == "sqlite":
        yield state
        state.close()
        return
    from pipeline.store.redis_store import RedisStore

    index = request.getfixturevalue("redis_index")
    redis_store = RedisStore(state, IndexConfig(backend="redis", url=index.url, prefix=index.prefix))
    yield redis_store
    redis_store.close()
