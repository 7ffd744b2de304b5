"""Issue 23 item 9: web addresses with non-ASCII letters (IRIs) are published as URIs in every output
(IDNA host, percent-encoded UTF-8 path, query and fragment: the W3C validator's UriNotIri), and the
published form still finds the entry in ``explain``."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lxml import etree

from pipeline.text.uri import as_iri, as_uri, link_forms
from tests.conftest import read_report
from tests.emit_helpers import enable_all_outputs

IRI = "https://bücher.example/nachrichten/straße-gesperrt?seite=ü#absatz-ä"
URI = "https://xn--bcher-kva.example/nachrichten/stra%C3%9Fe-gesperrt?seite=%C3%BC#absatz-%C3%A4"
SITE_IRI = "https://bücher.example/"
TEXT = (
    "Die Hauptstraße bleibt wegen Bauarbeiten bis Ende Mai gesperrt, teilte die Stadtverwaltung am "
    "Montag mit. Busse fahren eine Umleitung über den Marktplatz, und Anwohner erhalten Ausweise."
)


def write_iri_feed(demo: Path) -> None:
    (demo / "feeds" / "buecher.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Bücher Nachrichten'
        f"</title><link>{SITE_IRI}</link><description>d</description><item><title>Straße gesperrt"
        f'</title><link>{IRI}</link><guid isPermaLink="false">b-1</guid>'
        f'<description>&lt;p&gt;{TEXT}&lt;/p&gt;&lt;p&gt;Mehr: &lt;a href="{IRI}"&gt;hier&lt;/a&gt;&lt;/p&gt;'
        "</description><pubDate>Tue, 24 Jan 2017 08:00:00 GMT</pubDate></item></channel></rss>",
        encoding="utf-8",
    )
    with (demo / "config.toml").open("a", encoding="utf-8") as out:
        out.write('\n[[feeds]]\nname = "Bücher Nachrichten"\nurl = "feeds/buecher.xml"\n')


def test_iri_links_are_published_as_uris_in_every_output(backend_demo: Path, cli) -> None:
    demo = backend_demo
    enable_all_outputs(demo / "config.toml")
    write_iri_feed(demo)
    config = str(demo / "config.toml")
    result = cli("run", "--config", config)
    assert result.code == 0, result.err
    out = demo / "out"

    rss = etree.parse(str(out / "feed.rss"))
    links = rss.xpath("//item/link/text()") + rss.xpath("//item/source/@url")
    atom = etree.parse(str(out / "feed.atom"))
    links += atom.xpath("//*[local-name()='link']/@href") + atom.xpath("//*[local-name()='id']/text()")
    feed = json.loads((out / "feed.json").read_text(encoding="utf-8"))
    for item in feed["items"]:
        links += [item.get("url"), item["_syndedup"]["original"]["url"]]
        links += [r["url"] for r in item["_syndedup"]["republishers"]]
    report = read_report(out / "clusters.jsonl")
    links += [line.get("canonical") for line in report]
    links += [m["link"] for line in report for m in line["members"]]
    audit = (out / "audit.html").read_text(encoding="utf-8")
    links += re.findall(r'href="([^"]+)"', audit)
    # hrefs inside the HTML content of items (the entry's own link to its page) too
    for html_text in rss.xpath("//item/description/text()") + [i["content_html"] for i in feed["items"]]:
        links += re.findall(r'href="([^"]+)"', html_text)
    links = [link for link in links if link]
    assert URI in links
    assert [link for link in links if not link.isascii()] == []
    assert "xn--bcher-kva.example" in (out / "feed.rss").read_text(encoding="utf-8")

    explained = cli("explain", URI, "--config", config)  # the link as the outputs give it
    assert explained.code == 0, explained.err
    assert f"entry      {IRI}" in explained.out


def test_as_uri_converts_only_what_is_not_a_uri() -> None:
    assert as_uri(IRI) == URI
    assert as_iri(URI) == IRI
    assert as_uri("https://example.org/a%2Fb?q=1&r=%C3%BC") == "https://example.org/a%2Fb?q=1&r=%C3%BC"
    assert as_uri("https://example.org/100%/x") == "https://example.org/100%25/x"  # a stray "%"
    assert as_uri("https://example.org/a{b}|c") == "https://example.org/a%7Bb%7D%7Cc"
    assert as_uri("http://[::1]:8080/ä") == "http://[::1]:8080/%C3%A4"
    assert as_uri("https://例え.テスト/パス") == "https://xn--r8jz45g.xn--zckzah/%E3%83%91%E3%82%B9"
    assert as_uri("https://a..b.ü/") is None  # no domain name: unusable, left out like a mailto:
    assert link_forms(URI) == [URI, IRI] and link_forms(IRI) == [IRI, URI]
