"""What WAT, WET and CDXJ share about a response record: its parsed HTTP head and its HTML.

Each is computed once per record and cached on it, so a record passed to all writers is parsed
once — the HTML parse, the costly step, serves both the WAT links and the WET text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ccdump.writers.html_extract import HtmlExtract, extract_html
from ccdump.writers.httpparse import Fields, StatusLine, parse_fields, parse_status_line
from ccdump.writers.record import HTML_TYPES, WarcRecord
from ccdump.writers.warcreader import decode_http_payload


@dataclass(slots=True)
class ResponseView:
    """An HTTP response block as the WAT generator parses it."""

    status: StatusLine
    fields: Fields
    headers_length: int  # status line + header fields incl. the blank line
    entity_start: int
    entity_end: int  # limited by the HTTP Content-Length when it parses
    complete: bool  # the blank line was found before the end of the block

    def header(self, name: str) -> str | None:
        """First value of an HTTP header, case-insensitive."""
        lname = name.lower()
        for key, value in self.fields.headers:
            if key.lower() == lname:
                return value
        return None


def _java_long(value: str | None) -> int:
    """``Long.parseLong`` or -1, as ``HttpHeaders.getContentLength``."""
    if value is None:
        return -1
    text = value[1:] if value[:1] in "+-" else value
    if not text.isascii() or not text.isdigit():
        return -1
    return int(value)


def response_view(rec: WarcRecord) -> ResponseView:
    view = rec.cache.get("response")
    if view is None:
        block = rec.block
        status = parse_status_line(block)
        fields = parse_fields(block, status.consumed)
        start = status.consumed + fields.consumed
        complete = fields.complete and status.consumed <= len(block)
        length = -1
        for key, value in fields.headers:
            if key.lower() == "content-length":
                length = _java_long(value)
                break
        end = len(block) if length < 0 else min(len(block), start + length)
        view = ResponseView(status, fields, status.counted + fields.consumed, start, end, complete)
        rec.cache["response"] = view
    return view


def is_html(rec: WarcRecord) -> bool:
    """Whether the generator runs its HTML parser on this record (``isHTMLHttpResource``)."""
    cached = rec.cache.get("is_html")
    if cached is None:
        cached = False
        if rec.is_http_response():
            identified = rec.get("WARC-Identified-Payload-Type")
            if identified is not None:
                cached = identified in HTML_TYPES
            else:
                values = [v for k, v in response_view(rec).fields.headers if k.lower() == "content-type"]
                cached = any("html" in v.lower() for v in values)
        rec.cache["is_html"] = cached
    return cached


def html_of(rec: WarcRecord) -> HtmlExtract | None:
    """The page's HTML metadata and text, or None when the record is not HTML."""
    if not is_html(rec):
        return None
    extract = rec.cache.get("html")
    if extract is None:
        view = response_view(rec)
        body = rec.block[view.entity_start : view.entity_end]
        # Common Crawl stores payloads decoded; other crawlers' WARCs may still be chunked/gzipped
        body = decode_http_payload(body, view.fields.headers)
        content_type = None
        for key, value in view.fields.headers:
            if key == "Content-Type":
                content_type = value
                break
        extract = extract_html(body, content_type)
        rec.cache["html"] = extract
    return extract


def metadata_fields(rec: WarcRecord) -> list[tuple[str, str]]:
    """The ``name: value`` fields of a ``metadata`` record (``fetchTimeMs``, ``languages-cld2`` …)."""
    fields = rec.cache.get("metadata_fields")
    if fields is None:
        fields = parse_fields(rec.block).headers
        rec.cache["metadata_fields"] = fields
    return fields


def describes(meta: WarcRecord, target_uri: str | None, record_id: str | None) -> bool:
    """Whether ``meta`` is the capture metadata of the response with this URI and id.

    ``WEATGenerator.isMetaConcurrentTo``: same ``WARC-Target-URI``, ``WARC-Concurrent-To`` = the
    response's record id.
    """
    concurrent = meta.get("WARC-Concurrent-To")
    return (
        meta.type == "metadata"
        and meta.content_type != "application/json"
        and target_uri is not None
        and meta.target_uri == target_uri
        and concurrent is not None
        and concurrent == record_id
    )


def cld2_languages(value: str) -> str | None:
    """ISO-639-3 codes from a ``languages-cld2`` JSON value, joined as ``WEATGenerator`` joins them.

    >>> cld2_languages('{"reliable":false,"languages":[{"code":"es","code-iso-639-3":"spa"}]}')
    'spa'
    >>> cld2_languages('{"languages":[{"code-iso-639-3":"fra"},{"code-iso-639-3":"eng"},{"code-iso-639-3":"fra"}]}')
    'fra,eng'
    """
    try:
        parsed = json.loads(value)
        langs = parsed["languages"]
        codes = [entry.get("code-iso-639-3") for entry in langs]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if len(codes) == 1:
        code = codes[0]
        return code if isinstance(code, str) and code else None
    out: list[str] = []
    dedup = ["", ""]
    for j, code in enumerate(codes):
        if (
            not isinstance(code, str)
            or code == "null"
            or (j > 0 and dedup[0] == code)
            or (j > 1 and dedup[1] == code)
        ):
            continue
        out.append(code)
        if j < 2:
            dedup[j] = code
    return ",".join(out) or None


def capture_languages(meta: WarcRecord) -> tuple[str | None, str | None]:
    """(charset, languages) written in a capture's metadata record, if any."""
    charset = languages = None
    for name, value in metadata_fields(meta):
        if name == "charset-detected" and charset is None:
            charset = value
        elif name == "languages-cld2" and languages is None:
            languages = cld2_languages(value)
    return charset, languages
