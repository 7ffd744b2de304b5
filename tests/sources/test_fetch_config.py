"""The [fetch] and [state] lock_wait keys: documented defaults, and bad values named by key."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from pipeline.config import FetchConfig, StateConfig, load_config, parse_config
from pipeline.errors import ConfigError
from tests.conftest import REPO


def config_with(fetch: dict[str, Any] | None = None, state: dict[str, Any] | None = None) -> Any:
    data = {
        "feeds": [{"name": "F", "url": "f.xml"}],
        "output": {"rss": "a", "atom": "b", "report": "c"},
        "state": {"path": "s", **(state or {})},
        "fetch": fetch or {},
    }
    return parse_config(data, Path("/tmp/config.toml"))


def test_demo_config_and_readme_state_the_defaults() -> None:
    config = load_config(REPO / "config.toml")
    assert config.fetch == FetchConfig()
    assert config.state.lock_wait == StateConfig(path=Path("x")).lock_wait == 0
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for key, default in (
        ("timeout", "20.0"),
        ("connect_timeout", "10.0"),
        ("max_bytes", "10485760"),
        ("max_entries", "500"),
        ("concurrency", "8"),
        ("per_host", "2"),
        ("backoff_base", "600.0"),
    ):
        assert re.search(rf"\| `\[fetch\] {key}` \| `{re.escape(default)}` \|", readme), key


def test_new_keys_are_read() -> None:
    config = config_with({"max_bytes": 2048, "per_host": 1, "backoff_base": 0}, {"lock_wait": 30})
    assert config.fetch.max_bytes == 2048 and config.fetch.per_host == 1
    assert config.fetch.backoff_base == 0.0 and config.state.lock_wait == 30.0


@pytest.mark.parametrize(
    ("fetch", "state", "message"),
    [
        ({"concurrency": 0}, {}, "fetch.concurrency: must be >= 1"),
        ({"max_bytes": 1.5}, {}, "fetch.max_bytes: must be a whole number"),
        ({"timeout": 0}, {}, "fetch.timeout: must be >= 0.1"),
        ({"backoff_base": 100, "backoff_max": 10}, {}, "fetch.backoff_max: must be >= 100"),
        ({"user_agent": "x"}, {}, "fetch.user_agent: unknown key"),
        ({}, {"lock_wait": -1}, "state.lock_wait: must be >= 0"),
        ({}, {"lock_wait": "5"}, "state.lock_wait: must be a number"),
    ],
)
def test_bad_values_name_the_key(fetch: dict[str, Any], state: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        config_with(fetch, state)
