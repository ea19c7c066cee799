"""What a profile page says of itself, read with selectolax (lexbor): OpenGraph, Twitter cards, <title>,
meta description and schema.org Person JSON-LD (adapters.web.jsonld).

Why selectolax: lexbor is a complete HTML5 parser in C (the tree a browser
would build, broken markup included), several times faster than lxml and an
order of magnitude faster than BeautifulSoup on a 2 MB page, with no network
access, no DTDs and no entity expansion beyond HTML's own named references,
so a hostile page cannot make it fetch or blow up. lxml's HTML parser is
libxml2's HTML 4 one (not HTML5 tree building, and a long CVE history);
BeautifulSoup is a wrapper whose speed and tree depend on the parser under it.
lexbor's one weakness, deeply nested markup, is kept away by ``skim``.

The body is decoded here, not by the parser: a byte-order mark, else the
charset the server declared, else a ``<meta charset>`` near the top, else
UTF-8; undecodable bytes become U+FFFD. Only the encodings of the WHATWG
Encoding Standard are honoured (Python also knows ``unicode_escape`` and
friends, which would turn ``\\x00`` in the text into a real NUL).

Every text is cleaned before it leaves: control characters other than ``\\n``
and ``\\t`` removed (the rule ``domain.shared.text`` refuses on input),
whitespace trimmed (titles and names on one line), cut to a sensible length.
URLs are made absolute against the page's final URL and kept only if http(s).
Nothing in a page makes ``read`` raise.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, SelectolaxError

from adapters.web.jsonld import Person, find_person, parse_documents
from adapters.web.skim import skim
from application.ports import FetchedPage, PageFacts
from domain.shared.text import without_control_characters

TITLE_MAX = 300  # title, site name, person name
TEXT_MAX = 5_000  # description, bio (a creator's bio is at most 5,000 too)
HANDLE_MAX = 100
URL_MAX = 2_048
_PRESCAN_BYTES = 4_096  # where a <meta charset> is looked for (the standard says 1,024; real pages wander)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:+-]{1,40})""", re.IGNORECASE)
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
# Python codec names of the WHATWG encodings; latin-1 and ASCII labels mean windows-1252 on the web.
_WEB_ENCODINGS = frozenset(
    {"utf-8", "utf-16-le", "utf-16-be", "cp866", "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "cp874"}
    | {f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)}
    | {f"cp{n}" for n in range(1250, 1259)}
    | {"gbk", "gb2312", "gb18030", "big5", "big5hkscs", "euc_jp", "iso2022_jp", "shift_jis", "cp932", "euc_kr", "cp949"}
)
_WEB_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252", "windows-874": "cp874", "x-mac-cyrillic": "mac-cyrillic"}
_HTML_UTF16 = frozenset({"utf-16", "utf-16-le", "utf-16-be"})  # a <meta> cannot say so: the bytes were ASCII-ish


class SelectolaxPageReader:
    def read(self, page: FetchedPage) -> PageFacts:
        try:
            tree = LexborHTMLParser(skim(decode(page.body, page.charset)))
        except (SelectolaxError, ValueError):
            return _facts({}, None, None, page.final_url)
        title_node = tree.css_first("head > title") or tree.css_first("title")
        title = title_node.text(deep=True) if title_node is not None else None
        person = find_person(parse_documents(_json_ld_scripts(tree)))
        return _facts(_meta_tags(tree), title, person, page.final_url)


def decode(body: bytes, declared: str | None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    encoding = _web_encoding(declared)
    if encoding is None:
        found = _META_CHARSET.search(body[:_PRESCAN_BYTES])
        encoding = _web_encoding(found.group(1).decode("ascii")) if found else None
        encoding = "utf-8" if encoding in _HTML_UTF16 else encoding
    return body.decode(encoding or "utf-8", errors="replace")


def _web_encoding(label: str | None) -> str | None:
    """The Python codec for a charset label, if it is one of the web's encodings; else None."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(_WEB_ALIASES.get(label, label)).name
    except LookupError:
        return None
    name = _WEB_ALIASES.get(name, name)
    return name if name in _WEB_ENCODINGS or name == "utf-16" else None


def _meta_tags(tree: LexborHTMLParser) -> dict[str, str]:
    """``property=`` and ``name=`` of each <meta> with a content, lower-cased; the first of each wins."""
    found: dict[str, str] = {}
    for node in tree.css("meta"):
        attributes = node.attributes
        content = attributes.get("content")
        if not content:
            continue
        for key in (attributes.get("property"), attributes.get("name")):
            if key:
                found.setdefault(key.strip().lower(), content)
    return found


def _json_ld_scripts(tree: LexborHTMLParser) -> Iterator[str]:
    for node in tree.css("script"):
        kind = (node.attributes.get("type") or "").split(";", 1)[0].strip().lower()
        if kind == "application/ld+json":
            yield node.text(deep=True)


def _facts(meta: dict[str, str], title: str | None, person: Person | None, base: str) -> PageFacts:
    def first_line(*values: str | None, limit: int = TITLE_MAX) -> str | None:
        return next((t for t in (_line(v, limit) for v in values) if t), None)

    def first_text(*values: str | None) -> str | None:
        return next((t for t in (_text(v, TEXT_MAX) for v in values) if t), None)

    def first_url(*values: str | None) -> str | None:
        return next((u for u in (_absolute(v, base) for v in values) if u), None)

    image = first_url(
        meta.get("og:image"), meta.get("og:image:url"), meta.get("og:image:secure_url"),
        meta.get("twitter:image"), meta.get("twitter:image:src"),
    )  # fmt: skip
    description = first_text(meta.get("og:description"), meta.get("twitter:description"), meta.get("description"))
    full_name = " ".join(filter(None, (meta.get("profile:first_name"), meta.get("profile:last_name"))))
    handles = (meta.get("profile:username"), *(person.handles if person else ()), meta.get("twitter:creator"))
    return PageFacts(
        title=first_line(meta.get("og:title"), meta.get("twitter:title"), title),
        description=description,
        image=image,
        site_name=first_line(meta.get("og:site_name"), meta.get("application-name"), meta.get("twitter:site")),
        name=first_line(person.name if person else None, full_name),
        handle=next((h for h in map(_handle, handles) if h), None),
        bio=first_text(person.description if person else None) or description,
        avatar_url=first_url(*(person.images if person else ())) or image,
        followers=person.followers if person else None,
    )


def _text(value: str | None, limit: int) -> str | None:
    """Without control characters (but for newline and tab), trimmed, at most ``limit`` characters; or None."""
    if not isinstance(value, str):
        return None
    value = without_control_characters(value[: limit * 4]).strip()
    return value[:limit].rstrip() or None


def _line(value: str | None, limit: int) -> str | None:
    """As _text, with every run of whitespace (newlines too) as one space."""
    if not isinstance(value, str):
        return None
    return _text(" ".join(value[: limit * 4].split()), limit)


def _handle(value: str | None) -> str | None:
    """A handle is one word: ``@alice`` is ``alice``; ``Alice Smith`` is no handle."""
    text = _line(value, HANDLE_MAX + 1)
    if text is None:
        return None
    text = text.removeprefix("@")
    return text if text and " " not in text and len(text) <= HANDLE_MAX else None


def _absolute(value: str | None, base: str) -> str | None:
    text = _line(value, URL_MAX + 1)
    if text is None:
        return None
    try:
        if (given := urlsplit(text)).scheme and not given.netloc:  # "https://" alone would join to the base
            return None
        url = urljoin(base, text)
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. "http://[::1" (an unclosed IPv6 literal)
        return None
    if parts.scheme not in ("http", "https") or not host or len(url) > URL_MAX:
        return None
    return url
