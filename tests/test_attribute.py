"""attribute: alias folding of credited names."""

from pipeline.stages.attribute import AliasTable


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
