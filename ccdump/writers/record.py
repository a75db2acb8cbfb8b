"""One WARC record as the derived-data writers (WAT, WET, CDXJ, Parquet) see it.

This is the per-record API. :func:`ccdump.writers.warcreader.read_warc` yields these for any
existing WARC file; the WARC writer builds them from what it has in hand while writing, so
nothing is parsed twice::

    member = warc_out.last_member               # GzipMemberWriter, after write_member(record_bytes)
    rec = WarcRecord(
        headers=[("WARC-Type", "response"), ...],  # the WARC header fields, in order
        block=http_head + payload,                # the block (HTTP head + decoded payload)
        offset=member.offset, length=member.length,
        inflated_length=member.inflated_length, inflated_crc=member.crc32,
        text=parse_text, languages="eng")         # optional: Nutch's text and CLD2 codes
    for writer in (wat, wet, cdxj, parquet):
        writer.add(rec)

Everything derived from a record (the HTML parse shared by WAT and WET, the parsed HTTP head) is
computed on first use and cached on the object.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass, field
from typing import Any

#: record types whose block is an HTTP message the WAT parses as a response
HTTP_RESPONSE_TYPES = ("application/http; msgtype=response", "application/http;msgtype=response")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def sha1_base32(data: bytes | memoryview) -> str:
    """``sha1:`` + RFC 4648 Base32, the digest form of WARC headers and the WAT."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


@dataclass(slots=True)
class GzipHeaderInfo:
    """Optional fields of a gzip member header, reported by the WAT's ``Gzip-Metadata``."""

    length: int = 10
    filename: str | None = None
    comment_length: int | None = None
    header_crc: int | None = None
    extra: list[tuple[str, bytes]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class WarcRecord:
    """A WARC record plus where it sits in its file.

    ``headers``: the WARC header fields in file order (names as written).
    ``block``: the record block, ``Content-Length`` bytes (less if the record is truncated).
    ``offset``/``length``: the record's gzip member in the file (or the raw record in a ``.warc``).
    ``header_length``: bytes of the WARC header from ``WARC/1.0`` to the blank line; computed from
    ``headers`` when not given. ``trailing_length``: bytes after the block inside the member
    (``\\r\\n\\r\\n`` = 4). ``inflated_length``/``inflated_crc``: of the whole member, computed
    when not given. ``block_digest``/``payload_digest``: ``sha1:<Base32>`` of the block and of the
    HTTP payload when the caller already has them (the WARC writer does); computed otherwise.
    ``payload_start``: where in ``block`` the payload of ``payload_digest`` starts, when known (the
    WAT uses the digest only where its own HTTP parse finds the same entity).
    ``text``/``languages``/``charset``: precomputed extraction results (Nutch's parse text, CLD2
    language codes as ISO-639-3 joined by ``,``, detected charset) that the WET and CDXJ writers
    prefer over their own. ``segment``: the Nutch segment of the capture.
    """

    headers: list[tuple[str, str]]
    block: bytes
    offset: int = 0
    length: int = 0
    header_length: int | None = None
    trailing_length: int = 4
    compressed: bool = True
    inflated_length: int | None = None
    inflated_crc: int | None = None
    gzip_header: GzipHeaderInfo | None = None
    version: str = "WARC/1.0"
    block_digest: str | None = None
    payload_digest: str | None = None
    payload_start: int | None = None
    text: str | None = None
    languages: str | None = None
    charset: str | None = None
    segment: str | None = None
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def get(self, name: str, default: str | None = None) -> str | None:
        """First value of a WARC header, case-insensitive.

        The writers ask each record for a dozen headers; the first call indexes them (so
        ``headers`` must not change once the record has been handed to a writer).
        """
        index = self.cache.get("headers")
        if index is None:
            index = {}
            for key, value in self.headers:
                index.setdefault(key.lower(), value)
            self.cache["headers"] = index
        return index.get(name.lower(), default)

    @property
    def type(self) -> str:
        return self.get("WARC-Type") or ""

    @property
    def record_id(self) -> str | None:
        return self.get("WARC-Record-ID")

    @property
    def target_uri(self) -> str | None:
        return self.get("WARC-Target-URI")

    @property
    def date(self) -> str | None:
        return self.get("WARC-Date")

    @property
    def content_type(self) -> str | None:
        return self.get("Content-Type")

    def warc_header_bytes(self) -> bytes:
        """The header as this object's fields serialise it (used when no raw length is known)."""
        lines = [self.version, *(f"{k}: {v}" for k, v in self.headers), "", ""]
        return "\r\n".join(lines).encode("utf-8")

    def get_header_length(self) -> int:
        if self.header_length is None:
            self.header_length = len(self.warc_header_bytes())
        return self.header_length

    def get_inflated_length(self) -> int:
        if self.inflated_length is None:
            self.inflated_length = self.get_header_length() + len(self.block) + self.trailing_length
        return self.inflated_length

    def get_inflated_crc(self) -> int:
        """CRC-32 of the whole record as stored (header, block, trailer), unsigned."""
        if self.inflated_crc is None:
            crc = zlib.crc32(self.warc_header_bytes())
            crc = zlib.crc32(self.block, crc)
            self.inflated_crc = zlib.crc32(b"\r\n" * (self.trailing_length // 2), crc)
        return self.inflated_crc

    def is_http_response(self) -> bool:
        """A block the WAT generator parses as an HTTP response (response with HTTP type, revisit)."""
        kind = self.type
        if kind == "revisit":
            return True
        return kind == "response" and self.content_type in HTTP_RESPONSE_TYPES
