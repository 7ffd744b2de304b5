"""Web addresses as published: an IRI (non-ASCII letters in its host or path) as the URI that names
the same page, and the forms a person may give back to find a stored entry by its link."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

# What RFC 3986 allows as is in a path, a query and a fragment; "%" starts an escape. Anything else
# (non-ASCII letters, "<", '"', "{", a stray "%") is percent-encoded as UTF-8.
_PATH_SAFE = "/!$&'()*+,;=:@%"
_QUERY_SAFE = _PATH_SAFE + "?"
_USER_SAFE = "!$&'()*+,;=%"
_STRAY_PERCENT = re.compile("%(?![0-9A-Fa-f]{2})")
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")


def as_uri(link: str) -> str | None:
    """An absolute http(s) IRI as the URI that names the same resource (RFC 3987 3.1): the host
    in IDNA (``bücher.example`` -> ``xn--bcher-kva.example``, UTS #46 as browsers map it), the
    path, query and fragment percent-encoded as UTF-8. A link that is a URI already comes back
    unchanged; None when its host is no valid domain name. RSS, Atom and JSON Feed want URIs (the
    W3C feed validator's *UriNotIri*), and readers do not all convert."""
    if _URI_CHARACTERS.fullmatch(link) and not _STRAY_PERCENT.search(link):
        return link
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:  # a malformed IPv6 host or port
        return None
    host = parts.hostname or ""
    if not host.isascii():
        try:
            host = idna.encode(host, uts46=True).decode("ascii")
        except idna.IDNAError:
            return None
    elif host.startswith("[") or ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None:
        user = _quote(parts.username, _USER_SAFE)
        password = ":" + _quote(parts.password, _USER_SAFE) if parts.password is not None else ""
        netloc = f"{user}{password}@{netloc}"
    path = _quote(parts.path, _PATH_SAFE)
    query = _quote(parts.query, _QUERY_SAFE)
    fragment = _quote(parts.fragment, _QUERY_SAFE)
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


def _quote(part: str, safe: str) -> str:
    return quote(_STRAY_PERCENT.sub("%25", part), safe=safe)


def as_iri(link: str) -> str:
    """The IRI a URI made by ``as_uri`` came from: IDNA labels of the host decoded, and the
    percent-escapes of non-ASCII UTF-8 in the path, query and fragment decoded (escapes of ASCII
    characters, such as ``%2F``, are kept: they are not the same URI decoded)."""
    try:
        parts = urlsplit(link)
    except ValueError:
        return link
    host = parts.hostname or ""
    if "xn--" in host:
        try:
            host = idna.decode(host)
        except idna.IDNAError:
            return link
        netloc = parts.netloc.lower().replace(parts.hostname or "", host)
    else:
        netloc = parts.netloc
    path, query, fragment = (_unescape_non_ascii(p) for p in (parts.path, parts.query, parts.fragment))
    return urlunsplit((parts.scheme, netloc, path, query, fragment))


# A run of percent-escapes with at least one byte of 0x80 or more: a non-ASCII character's UTF-8.
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})*%[89A-Fa-f][0-9A-Fa-f](?:%[0-9A-Fa-f]{2})*")


def _unescape_non_ascii(part: str) -> str:
    def decode(found: re.Match[str]) -> str:
        escapes = found.group(0)
        try:
            text = bytes(int(h, 16) for h in escapes.split("%")[1:]).decode("utf-8")
        except UnicodeDecodeError:  # not UTF-8: not what ``as_uri`` writes
            return escapes
        return "".join(c if not c.isascii() else quote(c, safe="") for c in text)

    return _ESCAPES.sub(decode, part)


def link_forms(link: str) -> list[str]:
    """``link`` and the forms it may be stored or published as (its URI, its IRI): an entry found
    by the link in the outputs is the entry its feed gave with non-ASCII letters."""
    forms = [link]
    for form in (as_uri(link), as_iri(link)):
        if form and form not in forms:
            forms.append(form)
    return forms
