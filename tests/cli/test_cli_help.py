"""Every subcommand the parser has is documented: in the README and by its own --help."""

from __future__ import annotations

import argparse

import pytest

from pipeline.cli.app import build_parser
from tests.conftest import REPO


def subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_the_expected_subcommands_exist() -> None:
    # Others (serve, ...) may be added; these must stay.
    assert {"run", "check", "explain", "status", "import-opml"} <= set(subcommands())


@pytest.mark.parametrize("name", sorted(subcommands()))
def test_subcommand_is_in_the_readme_and_has_help(name: str, cli) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"syndedup {name}" in readme, f"README.md does not mention `syndedup {name}`"
    result = cli(name, "--help")
    assert result.code == 0
    assert f"usage: syndedup {name}" in result.out
    description = subcommands()[name].description
    assert description and len(description) > 30, f"`syndedup {name}` has no description"
    assert "--config" in result.out


def test_top_level_help_lists_every_subcommand(cli) -> None:
    result = cli("--help")
    assert result.code == 0
    for name in subcommands():
        assert name in result.out
