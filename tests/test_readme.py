"""The README is what a newcomer follows: its config example must pass `check`, and every config
key must be in its reference."""

from __future__ import annotations

import collections.abc
import dataclasses
import re
import typing
from pathlib import Path

from pipeline.config import Config, FeedConfig
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def documented_keys() -> list[str]:
    """Every key the config accepts, written as the README's reference writes it."""
    keys = [f"[[feeds]] {f.name}" for f in dataclasses.fields(FeedConfig)]
    hints = typing.get_type_hints(Config)
    for section in dataclasses.fields(Config):
        kind = hints[section.name]
        if section.name in ("path", "feeds") or not dataclasses.is_dataclass(kind):
            continue
        sub_hints = typing.get_type_hints(kind)
        for key in dataclasses.fields(kind):
            if typing.get_origin(sub_hints[key.name]) in (dict, collections.abc.Mapping):
                keys.append(f"[{section.name}.{key.name}]")
            else:
                keys.append(f"[{section.name}] {key.name}")
    return keys


def test_every_config_key_is_in_the_readme_reference() -> None:
    missing = [key for key in documented_keys() if f"`{key}`" not in README]
    assert missing == [], f"README.md's configuration reference lacks {missing}"


def test_getting_started_config_passes_check(tmp_path: Path, cli) -> None:
    section = README[README.index("## Getting started") : README.index("## How it works")]
    [example] = re.findall(r"```toml\n(.*?)```", section, flags=re.S)
    config = tmp_path / "config.toml"
    config.write_text(example, encoding="utf-8")
    result = cli("check", "--config", str(config))
    assert result.code == 0, result.err
    assert "3 feeds:" in result.out
