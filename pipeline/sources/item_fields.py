"""Each item's text fields as the XML has them, for the ones feedparser folds into one.

feedparser keeps one ``summary`` and a list of ``content``: an RSS item's ``<description>``,
``<itunes:summary>``, ``<media:description>`` and ``<dc:description>`` all go to ``summary``, and the
second of them to ``content``, so the third (or any after ``<content:encoded>``) overwrites the first
(feedparser#324): a podcast's one-line ``itunes:summary`` takes the place of its full description.
Here an item's fields are read with lxml so that the entry's text can be chosen among all of them
(``parse.entry_to_article``). Only documents that have such a namespaced field are read twice.
"""

from __future__ import annotations

import re

from lxml import etree

# A namespaced summary or description element (itunes:summary, media:description, dc:description):
# the ones that make feedparser overwrite an item's description. Without one, nothing is lost.
_FOLDED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:summary|description)[\s>/]")
_ATOM = "http://www.w3.org/2005/Atom"
_CONTENT = "http://purl.org/rss/1.0/modules/content/"
_MEDIA = "http://search.yahoo.com/mrss/"
# Text fields by local name: every namespace's description and summary, content:encoded, Atom content.
_TEXT_FIELDS = frozenset({"description", "summary", "encoded", "content"})
# Elements inside an item whose own text fields belong to the item (Media RSS groups and contents).
_MEDIA_WRAPPERS = frozenset({"group", "content"})


def item_texts(body: bytes) -> list[list[str]] | None:
    """The text fields of each item or entry of a feed document, in document order (None when the
    document has no field that feedparser could lose, or lxml cannot read it at all).

    ``body`` is the UTF-8 document that feedparser reads (DTD defused). Values are the fields' HTML
    or text as written (an Atom ``type="xhtml"`` field as its markup), empty ones left out.
    """
    if not _FOLDED.search(body):
        return None
    parser = etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        root = etree.fromstring(body, parser)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    items = [element for element in root.iter() if _is_item(element)]
    return [_fields(item) for item in items]


def _local(element: etree._Element) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _is_item(element: etree._Element) -> bool:
    local = _local(element)
    if local == "entry":
        return etree.QName(element.tag).namespace == _ATOM
    return local == "item"


def _fields(item: etree._Element) -> list[str]:
    values: list[str] = []
    for child in item:
        local = _local(child)
        namespace = etree.QName(child.tag).namespace if local else None
        if namespace == _MEDIA and local in _MEDIA_WRAPPERS:
            values += [_value(c) for c in child.iter() if c is not child and _local(c) == "description"]
        elif local in _TEXT_FIELDS and (local != "content" or namespace == _ATOM):
            values.append(_value(child))
    return [value for value in values if value.strip()]


def _value(element: etree._Element) -> str:
    """A field's content: its text, and its child elements as markup (XHTML, or HTML left unescaped)."""
    inner = "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in element)
    return (element.text or "") + inner
