"""config: every bad key or value is a ConfigError that names the key."""

from pathlib import Path

import pytest

from pipeline.config import load_config
from pipeline.errors import ConfigError

GOOD = """
[[feeds]]
name = "A"
url = "feeds/a.xml"

[output]
rss = "out/a.rss"
atom = "out/a.atom"
report = "out/a.jsonl"

[state]
path = "state/s.sqlite"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_resolves_paths_and_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    assert config.feeds[0].url == str(tmp_path / "feeds/a.xml")
    assert config.output.rss == tmp_path / "out/a.rss"
    assert config.output.max_items == 100
    assert config.dedup.shingle_size == 4


def test_http_urls_are_kept(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD.replace("feeds/a.xml", "https://x.test/rss")))
    assert config.feeds[0].url == "https://x.test/rss"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (GOOD + "\n[extra]\n", "extra: unknown key"),
        (
            GOOD.replace('path = "state', 'colour = "red"\npath = "state'),
            "state.colour: unknown key",
        ),
        (GOOD + "\n[dedup]\nshingle_sise = 3\n", "dedup.shingle_sise: unknown key"),
        (GOOD + "\n[dedup]\ncopy_threshold = 'high'\n", "dedup.copy_threshold: must be a number"),
        (GOOD + "\n[dedup]\ncopy_threshold = 7\n", "dedup.copy_threshold: must be <= 1.0"),
        (GOOD.replace('name = "A"\n', ""), "feeds[0].name: missing (required)"),
        (GOOD.replace("[output]", "[output]\nmax_items = 0"), "output.max_items: must be >= 1"),
        (GOOD.replace('rss = "out/a.rss"\n', ""), "output.rss: missing (required)"),
        (
            GOOD + '\n[[feeds]]\nname = "A"\nurl = "b.xml"\n',
            "feeds[1].name: duplicate feed name 'A'",
        ),
        (GOOD + "\n[attribution.aliases]\nVOA = 'x'\n", "attribution.aliases.VOA: must be a list"),
        ("[output\n", "invalid TOML"),
        ("feeds = []\n" + GOOD[GOOD.index("[output]") :], "[[feeds]]: no feeds configured"),
    ],
)
def test_bad_configs_name_the_key(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, change))
    assert message in str(info.value)
    assert str(tmp_path / "config.toml") in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_per_host_delay_is_bounded(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD + "\n[fetch]\nper_host_delay = 1e9\n"))
    assert "fetch.per_host_delay: must be <= 60" in str(info.value)


# -- issue 23, fault 2: an output on the state, the config, another output or a feed file ---------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            GOOD.replace('report = "out/a.jsonl"', 'report = "state/s.sqlite"'),
            "output.report: {tmp}/state/s.sqlite is also state.path (the state file)",
        ),
        (  # the same file, spelled another way
            GOOD.replace('report = "out/a.jsonl"', 'report = "out/../state/./s.sqlite"'),
            "output.report: {tmp}/out/../state/s.sqlite is also state.path (the state file)",
        ),
        (
            GOOD.replace('atom = "out/a.atom"', 'atom = "out/a.rss"'),
            "output.atom: {tmp}/out/a.rss is also output.rss",
        ),
        (
            GOOD.replace("[output]", '[output]\nhtml = "out/a.jsonl"'),
            "output.html: {tmp}/out/a.jsonl is also output.report",
        ),
        (
            GOOD.replace("[output]", '[output]\njson = "out/a.atom"'),
            "output.json: {tmp}/out/a.atom is also output.atom",
        ),
        (
            GOOD.replace('rss = "out/a.rss"', 'rss = "config.toml"'),
            "output.rss: {tmp}/config.toml is also the config file itself",
        ),
        (
            GOOD.replace('report = "out/a.jsonl"', 'report = "state/s.sqlite-wal"'),
            "output.report: {tmp}/state/s.sqlite-wal is also the write-ahead log of state.path",
        ),
        (
            GOOD.replace('report = "out/a.jsonl"', 'report = "state/s.sqlite.lock"'),
            "output.report: {tmp}/state/s.sqlite.lock is also the lock file of state.path",
        ),
        (
            GOOD.replace('rss = "out/a.rss"', 'rss = "feeds/a.xml"'),
            "output.rss: {tmp}/feeds/a.xml is also feeds[0].url (feed 'A')",
        ),
        (
            GOOD.replace('path = "state/s.sqlite"', 'path = "config.toml"'),
            "state.path: {tmp}/config.toml is also the config file itself",
        ),
    ],
)
def test_an_output_on_another_file_is_refused_naming_both_keys(
    tmp_path: Path, change: str, message: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, change))
    assert message.format(tmp=tmp_path) in str(info.value)
    assert "each output, the state and the config need files of their own" in str(info.value)


def test_an_output_linked_to_the_state_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "state").mkdir()
    (tmp_path / "state/s.sqlite").write_bytes(b"")
    (tmp_path / "out").mkdir()
    (tmp_path / "out/a.jsonl").symlink_to(tmp_path / "state/s.sqlite")
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, GOOD))
    assert f"output.report: {tmp_path}/out/a.jsonl is also state.path (the state file)" in str(info.value)
