"""Choosing and applying a document's charset (spec nutch-dumper.md §3.3).

Order: byte-order mark, ``Content-Type`` charset, the parser's charset from parse_data, an HTML/XML
declaration in the first 8 KiB, then UTF-8. Labels go through a WHATWG-style table, so ``latin1``
and ``iso-8859-1`` mean windows-1252 as in browsers; undecodable bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))

#: WHATWG labels whose meaning differs from Python's codec of the same name.
_WHATWG = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "ascii": "cp1252",
    "us-ascii": "cp1252",
    "iso_8859-1": "cp1252",
    "windows-1252": "cp1252",
    "iso-8859-9": "cp1254",
    "latin5": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "gb2312": "gbk",
    "x-gbk": "gbk",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-user-defined": "cp1252",
}

_CHARSET_PARAM = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_DECL = re.compile(rb"""<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:\-]+)""", re.I)


@lru_cache(maxsize=512)
def normalise(label: str | None) -> str | None:
    """Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    name = _WHATWG.get(label, label)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


@lru_cache(maxsize=512)
def charset_from_content_type(value: str | None) -> str | None:
    if not value:
        return None
    m = _CHARSET_PARAM.search(value.encode("latin-1", "replace"))
    return normalise(m.group(1).decode("ascii", "replace")) if m else None


def sniff_declared(body: bytes) -> str | None:
    """A ``<meta charset>``, ``http-equiv`` or ``<?xml encoding>`` declaration in the first 8 KiB."""
    head = body[:8192]
    for pattern in (_XML_DECL, _META_CHARSET):
        m = pattern.search(head)
        if m:
            found = normalise(m.group(1).decode("ascii", "replace"))
            if found:
                # A page declaring UTF-16 in ASCII-compatible bytes is not UTF-16 (HTML spec).
                return "utf-8" if found.startswith("utf-16") else found
    return None


def choose(body: bytes, content_type: str | None, parser_charsets: tuple[str | None, ...] = ()) -> tuple[str, int]:
    """(codec name, bytes to skip) for ``body``: a BOM wins, then the sources in §3.3 order."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    for candidate in (charset_from_content_type(content_type), *(normalise(c) for c in parser_charsets)):
        if candidate:
            return candidate, 0
    return sniff_declared(body) or "utf-8", 0


def decode_body(body: bytes, content_type: str | None, parser_charsets: tuple[str | None, ...] = ()) -> str:
    name, skip = choose(body, content_type, parser_charsets)
    return body[skip:].decode(name, "replace")
