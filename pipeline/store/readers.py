"""Pick the read-only view that ``status`` and ``explain`` use, from ``[index] backend``.

Apart from ``view.py`` so that the Redis view (which imports ``view``'s records) is imported only
by Redis users, without an import cycle.
"""

from __future__ import annotations

from pipeline.config import Config
from pipeline.store.view import StateReader, StateView


def open_view(config: Config) -> StateReader:
    """The read-only view of ``config``'s state: the SQLite file, or with ``[index] backend =
    "redis"`` the shared Redis index (entries, stories) beside the host's file (feed health, when
    the file exists). Raises StateError when there is nothing to read or Redis does not answer."""
    if config.index.backend == "redis":
        from pipeline.store.redis_view import RedisView  # only Redis users import redis-py

        local = StateView(config.state.path) if config.state.path.exists() else None
        try:
            return RedisView(local, config.index)
        except BaseException:
            if local is not None:
                local.close()
            raise
    return StateView(config.state.path)
