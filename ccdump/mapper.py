"""Document → the JSON record of Nutch's ``CommonCrawlFormatJackson`` (spec nutch-dumper.md §3).

No I/O: the writers decide where records go. Field names, nesting and order are Nutch's; headers
keep their stored order and are looked up case-insensitively, and the body is decoded with the
document's charset instead of the platform's (the compatibility policy).
"""

from __future__ import annotations

import json
import os
import re
import socket
import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from ccdump.config import NutchConfig
from ccdump.nutch.document import Document
from ccdump.web import charset, dates, urls

FIXED_RESPONSE_HEADERS = ("Content-Encoding", "Content-Type", "Date", "Server")
_FIXED_LOWER = frozenset(h.lower() for h in FIXED_RESPONSE_HEADERS)


@dataclass(frozen=True)
class RecordOptions:
    """The dumper options that change the record (not the output layout)."""

    key_prefix: str = ""
    reverse_key: bool = False
    simple_date_format: bool = False
    json_array: bool = False


@lru_cache(maxsize=1)
def local_host() -> tuple[str, str]:
    """(host name, address) of this machine, ``""`` on error, as Nutch's ``InetAddress.getLocalHost``."""
    try:
        name = socket.gethostname()
    except OSError:
        return "", ""
    try:
        address = socket.gethostbyname(name)
    except OSError:
        address = ""
    return name, address


def record_timestamp(doc: Document, now_ms: int | None = None) -> str:
    """The epoch-ms string used by ``-epochFilename`` and ``-reverseKey`` (``null`` if unparsable).

    Nutch parses the ``Date`` header, or the current time when the header is missing or empty.
    """
    meta = doc.content.metadata if doc.content else None
    value = meta.get("Date") if meta else None
    if not value:
        return str(now_ms if now_ms is not None else int(time.time() * 1000))
    ms = dates.parse_http_date(value)
    return "null" if ms is None else str(ms)


def reverse_key(doc: Document, now_ms: int | None = None) -> str | None:
    rev = urls.reverse_url(doc.url)
    if rev is None:
        return None
    return f"{rev.replace('/', '_')}_{urls.sha1_hex(doc.url)}_{record_timestamp(doc, now_ms)}"


def body_charset_sources(doc: Document) -> tuple[str | None, ...]:
    if doc.parse_data is None:
        return ()
    pm = doc.parse_data.parse_meta
    return (pm.get("CharEncodingForConversion"), pm.get("OriginalCharEncoding"))


def decode_body(doc: Document) -> str:
    assert doc.content is not None
    ct = doc.content.metadata.get("Content-Type") or doc.content.content_type
    return charset.decode_body(doc.content.content, ct, body_charset_sources(doc))


def _decode(doc: Document, content_type: str | None) -> str:
    assert doc.content is not None
    ct = content_type or doc.content.content_type
    return charset.decode_body(doc.content.content, ct, body_charset_sources(doc))


def _headers(pairs: list[tuple[str, str | None]], as_array: bool) -> Any:
    if as_array:
        return [[k, v] for k, v in pairs]
    return dict(pairs)


def _epoch(value: str) -> str | None:
    ms = dates.parse_http_date(value)
    return None if ms is None else str(ms)


def to_record(
    doc: Document,
    config: NutchConfig,
    options: RecordOptions = RecordOptions(),
    *,
    inlinks: list[str] | None = None,
    body: Any = None,
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The JSON record (an ordered dict) for a document with content.

    ``body`` replaces the decoded text body (the native CBOR writer passes the raw bytes).
    Raises ValueError for a URL Nutch cannot key (``-reverseKey`` with no host).
    """
    if doc.content is None:
        raise ValueError(f"{doc.url}: no content to map")
    meta = doc.content.metadata
    # One pass over the stored names gives Metadata.get's lookups (exact case first, then the
    # first case-insensitive match) and the "other" response headers in stored order.
    exact: dict[str, list[str]] = {}
    folded: dict[str, list[str]] = {}
    others: list[tuple[str, str | None]] = []
    for name, values in meta:
        if name not in exact:
            exact[name] = values
        lower = name.lower()
        if lower not in folded:
            folded[lower] = values
        if lower not in _FIXED_LOWER:
            others.append((name, values[0] if values else ""))

    def get(name: str) -> str | None:
        values = exact.get(name)
        if values is None:
            values = folded.get(name.lower())
        return values[0] if values else None

    sdf = options.simple_date_format
    last_modified = get("Last-Modified") or ""
    date = get("Date") or ""
    content_type = get("Content-Type")

    response_headers: list[tuple[str, str | None]] = [
        ("Content-Encoding", get("Content-Encoding") or ""),
        ("Content-Type", content_type or ""),
        ("Date", _epoch(date) if sdf else date),
        ("Server", get("Server") or ""),
        *others,
    ]

    request_headers: list[tuple[str, str | None]] = [
        ("Accept", config.get_str("http.accept")),
        ("Accept-Encoding", ""),
        ("Accept-Language", config.get_str("http.accept.language")),
        ("User-Agent", config.get_str("http.robots.agents")),
    ]

    if options.reverse_key:
        key = reverse_key(doc, now_ms)
        if key is None:
            raise ValueError(f"{doc.url}: malformed URL, no host for -reverseKey")
    else:
        key = doc.url
    if options.key_prefix:
        key = f"{options.key_prefix}-{key}"

    hostname, address = local_host()
    record: dict[str, Any] = {
        "url": urls.encode_path(doc.url),
        "timestamp": _epoch(last_modified) if sdf else last_modified,
        "request": {
            "method": "GET",
            "client": {
                "hostname": hostname,
                "address": address,
                "software": config.get_str("http.agent.version"),
                "robots": "CLASSIC",
                "contact": {"name": config.get_str("http.agent.name"), "email": config.get_str("http.agent.email")},
            },
            "headers": _headers(request_headers, options.json_array),
            "body": None,
        },
        "response": {
            "status": get("status") or "",
            "server": {"hostname": urls.host(doc.url), "address": get("_ip_") or ""},
            "headers": _headers(response_headers, options.json_array),
            "body": _decode(doc, content_type) if body is None else body,
        },
        "key": key,
        "imported": _epoch(date) if sdf else date,
    }
    if inlinks:
        record["inlinks"] = inlinks
    return record


# --- Jackson's pretty printer (spec §3.6) ------------------------------------------------------------

_json_string = json.JSONEncoder(ensure_ascii=False).encode
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_ESCAPE_TABLE = {i: f"\\u{i:04X}" for i in range(0x20)} | {ord(k): v for k, v in _ESCAPES.items()}


_RARE_CONTROL = re.compile("[\x00-\x07\x0b\x0e-\x1f]")


def _string(s: str) -> str:
    # json's C encoder escapes exactly Jackson's set, but writes \u00xx in lower case; those
    # characters are rare, so only strings holding one take the slow exact path.
    if _RARE_CONTROL.search(s) is None:
        return _json_string(s)
    return '"' + s.translate(_ESCAPE_TABLE) + '"'


def _value(v: Any, depth: int, out: list[str]) -> None:
    if v is None:
        out.append("null")
    elif isinstance(v, str):
        out.append(_string(v))
    elif isinstance(v, bool):
        out.append("true" if v else "false")
    elif isinstance(v, (int, float)):
        out.append(str(v))
    elif isinstance(v, dict):
        if not v:
            out.append("{ }")
            return
        out.append("{")
        pad = "\n" + "  " * (depth + 1)
        first = True
        for k, item in v.items():
            out.append(pad if first else "," + pad)
            first = False
            out.append(_string(k) + " : ")
            _value(item, depth + 1, out)
        out.append("\n" + "  " * depth + "}")
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append("[ ]")
            return
        out.append("[ ")
        for i, item in enumerate(v):
            if i:
                out.append(", ")
            _value(item, depth, out)
        out.append(" ]")
    else:
        raise TypeError(f"cannot serialise {type(v).__name__}")


def _to_json_text_exact(record: dict[str, Any]) -> str:
    out: list[str] = []
    _value(record, 0, out)
    return "".join(out)


# The fast path builds UTF-8 bytes with orjson, which escapes exactly Jackson's set (quote,
# backslash, C0 controls; ``/``, DEL and non-ASCII raw) but writes ``\u00xx`` in lower case, so any
# string whose bytes hold ``\u00`` goes through the exact path above. orjson refuses lone
# surrogates (TypeError): the whole record then takes the exact path.
_ENC = orjson.dumps
_PADS = [b"\n" + b"  " * d for d in range(64)]
_KEYS: dict[str, bytes] = {}


def _bstring(s: str) -> bytes:
    b = _ENC(s)
    if b"\\u00" in b:
        return _string(s).encode("utf-8")
    return b


def _key(k: str) -> bytes:
    b = _KEYS.get(k)
    if b is None:
        b = _bstring(k) + b" : "
        if len(_KEYS) < 4096:  # header names repeat; keep the cache bounded all the same
            _KEYS[k] = b
    return b


def _bvalue(v: Any, depth: int, out: list[bytes]) -> None:
    t = type(v)
    if t is str:
        out.append(_bstring(v))
    elif t is dict:
        if not v:
            out.append(b"{ }")
            return
        if depth + 1 < len(_PADS):
            pad, end = _PADS[depth + 1], _PADS[depth] + b"}"
        else:
            pad, end = b"\n" + b"  " * (depth + 1), b"\n" + b"  " * depth + b"}"
        sep = b"," + pad
        append = out.append
        append(b"{")
        append(pad)
        first = True
        for k, item in v.items():
            if first:
                first = False
            else:
                append(sep)
            append(_key(k))
            if type(item) is str:
                append(_bstring(item))
            else:
                _bvalue(item, depth + 1, out)
        append(end)
    elif v is None:
        out.append(b"null")
    elif isinstance(v, str):
        out.append(_bstring(str(v)))
    elif isinstance(v, dict):
        _bvalue(dict(v), depth, out)
    elif isinstance(v, (list, tuple)):
        if not v:
            out.append(b"[ ]")
            return
        out.append(b"[ ")
        for i, item in enumerate(v):
            if i:
                out.append(b", ")
            _bvalue(item, depth, out)
        out.append(b" ]")
    elif isinstance(v, bool):
        out.append(b"true" if v else b"false")
    elif isinstance(v, (int, float)):
        out.append(str(v).encode("ascii"))
    else:
        raise TypeError(f"cannot serialise {type(v).__name__}")


_INDENT = orjson.OPT_INDENT_2
#: Stands for a long body in the skeleton of the record (unique per process, needs no escaping).
_BODY_MARK = f"ccdump-body-{os.urandom(12).hex()}"
_QUOTED_MARK = b'"' + _BODY_MARK.encode("ascii") + b'"'
_LOWER_HEX_ESCAPE = re.compile(rb"\\u00")


def _skeleton_bytes(record: dict[str, Any]) -> bytes | None:
    """The record through orjson if the result is exactly Jackson's layout once ``": `` becomes ``" : ``.

    orjson's 2-space layout equals Jackson's for non-empty objects of strings and nulls. Every line
    but the first is a key or an object's closing brace (strings hold no raw newline), so the lines
    give the number of keys; every ``": `` is a key's separator or inside a string, so when their
    count is the number of keys and each is followed by a string, a non-empty object or null, all
    of them are separators and a plain replace is exact. Anything else (arrays, numbers, booleans,
    empty objects, ``\\u00XX`` escapes, which orjson writes in lower-case hex and Jackson in upper
    case) is left to the general path (None).
    """
    if not record:
        return None
    data = _ENC(record, option=_INDENT)
    count = data.count
    separators = count(b'": ')
    if (
        separators != count(b"\n") - count(b"{\n")
        or separators != count(b'": "') + count(b'": {\n') + count(b'": null')
        or b"\\u00" in data
    ):
        return None
    return data.replace(b'": ', b'" : ')


def to_json_bytes(record: dict[str, Any]) -> bytes:
    """:func:`to_json_text` encoded as UTF-8 (UnicodeEncodeError for a lone surrogate, as ``str.encode``)."""
    try:
        if type(record) is dict:
            response = record.get("response")
            body = response.get("body") if type(response) is dict else None
            if type(body) is str and len(body) > 256:
                # The body is most of the bytes: encode it alone, the rest of the record around a mark.
                skeleton = dict(record)
                skeleton["response"] = {**response, "body": _BODY_MARK}
                data = _skeleton_bytes(skeleton)
                if data is not None:
                    parts = data.split(_QUOTED_MARK)
                    encoded = _ENC(body)
                    if len(parts) == 2 and _LOWER_HEX_ESCAPE.search(encoded) is None:
                        return parts[0] + encoded + parts[1]
            else:
                data = _skeleton_bytes(record)
                if data is not None:
                    return data
        out: list[bytes] = []
        _bvalue(record, 0, out)
        return b"".join(out)
    except TypeError:  # a lone surrogate (orjson refuses it) or a value JSON cannot hold
        return _to_json_text_exact(record).encode("utf-8")


def to_json_text(record: dict[str, Any]) -> str:
    """The record as Jackson's ``DefaultPrettyPrinter`` lays it out (no trailing newline)."""
    try:
        return to_json_bytes(record).decode("utf-8")
    except UnicodeEncodeError:
        return _to_json_text_exact(record)
