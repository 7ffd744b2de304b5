"""attribute: alias folding of credited names."""

from pipeline.text.credits import AliasTable


def test_aliases_fold_to_one_name() -> None:
    table = AliasTable({"Voice of America": ["VOA", "voanews.com"]}, ["Syria News Gazette"])
    for credit in (
        "VOA",
        "voa",
        "Voice of America.",
        "https://www.voanews.com/",
        "Voice of America (VOA)",
    ):
        assert table.resolve(credit) == "Voice of America", credit
    assert table.resolve("syria news gazette") == "Syria News Gazette"
    assert table.resolve("Agence France-Presse") == "Agence France-Presse"


def test_a_sites_own_signoff_is_not_a_credit_to_another_outlet() -> None:
    table = AliasTable({"Voice of America": ["VOA"]}, ["Global Reader", "Voice of America"])
    assert table.names("2001 Global Reader Media", "Global Reader")
    assert table.names("Global Reader", "Global Reader")
    assert not table.names("VOA", "Global Reader")
    assert not table.names("Global Readership Weekly", "Global Reader")


def test_a_feeds_site_host_names_it_without_an_alias_entry() -> None:
    table = AliasTable({}, ["Voice of America", "Gazette"], {"Voice of America": "www.voanews.com"})
    assert table.resolve("voanews.com") == "Voice of America"
    assert table.resolve("https://www.voanews.com/a/1.html") == "Voice of America"
    # a configured alias still wins over a host
    table = AliasTable(
        {"VOA Network": ["voanews.com"]}, ["Voice of America"], {"Voice of America": "voanews.com"}
    )
    assert table.resolve("voanews.com") == "VOA Network"
