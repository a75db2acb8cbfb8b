"""A small streaming WARC reader: records with their gzip member offsets and lengths.

warcio and FastWARC are test-only judges; the derived-data generators need things they do not
expose in one pass — the member's compressed offset and length, its gzip header fields, the
inflated CRC and length from the trailer, the exact header byte count — so this reader walks the
members itself: parse the 10-byte member header, inflate with ``zlib.decompressobj(-15)`` until
``eof``, take the 8-byte trailer, continue from ``unused_data``. Input is read in 1 MiB chunks and
fed to zlib 64 KiB at a time, so memory holds one record plus a buffer whatever the file size.

``.warc.gz`` files must hold one record per gzip member (Common Crawl's layout, ISO 28500 Annex
D); a whole-file-gzipped WARC has no per-record offsets and is refused with
:class:`~ccdump.errors.WarcFormatError`, as warcio refuses it. Uncompressed ``.warc`` files are
read as they are; their "members" are the records themselves.

HTTP payloads are not decoded here: Common Crawl stores them decoded. For HTML extraction from
other WARCs, :func:`decode_http_payload` undoes chunked transfer coding and gzip/deflate content
coding when the headers still declare them.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from typing import BinaryIO

from ccdump.errors import WarcFormatError
from ccdump.writers.httpparse import parse_fields, parse_status_line
from ccdump.writers.record import GzipHeaderInfo, WarcRecord

_READ = 1 << 20
_FEED = 1 << 16
_GZIP_MAGIC = b"\x1f\x8b"
#: a member may inflate to this many bytes more than header + block + trailer before it is
#: considered to hold more than one record
_SLACK = 1 << 16


class _Buffer:
    """A read-ahead window over a binary stream, tracking absolute file offsets."""

    __slots__ = ("f", "buf", "pos", "base", "eof")

    def __init__(self, f: BinaryIO) -> None:
        self.f = f
        self.buf = b""
        self.pos = 0  # index in buf of the next unread byte
        self.base = 0  # absolute offset of buf[0]
        self.eof = False

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def available(self) -> int:
        return len(self.buf) - self.pos

    def more(self) -> bool:
        """Read another chunk, dropping consumed bytes; False at end of file."""
        if self.eof:
            return False
        chunk = self.f.read(_READ)
        if not chunk:
            self.eof = True
            return False
        self.base += self.pos
        self.buf = self.buf[self.pos :] + chunk
        self.pos = 0
        return True

    def ensure(self, n: int) -> bool:
        while self.available() < n:
            if not self.more():
                return False
        return True


def read_warc(source: str | os.PathLike[str] | BinaryIO, name: str | None = None) -> Iterator[WarcRecord]:
    """Yield the records of a WARC file (``.warc.gz`` one member per record, or ``.warc``).

    ``source`` is a path or a binary file object; ``name`` is used in error messages.
    """
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            yield from read_warc(f, name or path)
        return
    label = name or getattr(source, "name", "<stream>")
    stream = _Buffer(source)
    if not stream.ensure(2):
        return
    if stream.buf[stream.pos : stream.pos + 2] == _GZIP_MAGIC:
        yield from _read_gzip(stream, str(label))
    else:
        yield from _read_plain(stream, str(label))


def _gzip_header(stream: _Buffer, label: str) -> GzipHeaderInfo:
    """Parse a member header at the current position (RFC 1952 §2.3) without consuming it."""
    start = stream.offset
    if not stream.ensure(10):
        raise WarcFormatError(label, start, "truncated gzip member header")
    b = stream.buf
    p = stream.pos
    if b[p : p + 3] != b"\x1f\x8b\x08":
        raise WarcFormatError(label, start, "expected a gzip member (1f 8b 08)")
    flags = b[p + 3]
    info = GzipHeaderInfo()
    hl = 10

    def need(n: int) -> None:
        nonlocal b, p
        if not stream.ensure(n):
            raise WarcFormatError(label, start, "truncated gzip member header")
        b, p = stream.buf, stream.pos

    if flags & 4:
        need(hl + 2)
        xlen = b[p + hl] | (b[p + hl + 1] << 8)
        need(hl + 2 + xlen)
        extra = b[p + hl + 2 : p + hl + 2 + xlen]
        i = 0
        while i + 4 <= len(extra):
            size = extra[i + 2] | (extra[i + 3] << 8)
            info.extra.append((extra[i : i + 2].decode("latin-1"), bytes(extra[i + 4 : i + 4 + size])))
            i += 4 + size
        hl += 2 + xlen
    for flag in (8, 16):
        if flags & flag:
            while True:
                end = b.find(b"\x00", p + hl)
                if end != -1:
                    break
                need(stream.available() + 1)
            field_bytes = b[p + hl : end]
            if flag == 8:
                info.filename = field_bytes.decode("utf-8", "replace")
            else:
                info.comment_length = len(field_bytes)
            hl = end + 1 - p
    if flags & 2:
        need(hl + 2)
        info.header_crc = b[p + hl] | (b[p + hl + 1] << 8)
        hl += 2
    info.length = hl
    return info


def _read_gzip(stream: _Buffer, label: str) -> Iterator[WarcRecord]:
    while stream.ensure(1):
        start = stream.offset
        info = _gzip_header(stream, label)
        stream.pos += info.length
        inflater = zlib.decompressobj(-15)
        pieces: list[bytes] = []
        size = 0
        limit: int | None = None
        try:
            while not inflater.eof:
                if stream.available() == 0 and not stream.more():
                    raise WarcFormatError(label, start, "truncated gzip member (no end of deflate data)")
                chunk = memoryview(stream.buf)[stream.pos : stream.pos + _FEED]
                out = inflater.decompress(chunk)
                stream.pos += len(chunk) - len(inflater.unused_data)
                if out:
                    pieces.append(out)
                    size += len(out)
                    if limit is None and size > 64:
                        limit = _expected_size(pieces, label, start)
                    if limit is not None and size > limit:
                        raise WarcFormatError(
                            label,
                            start,
                            "gzip member holds more than one WARC record (whole-file gzip?); "
                            "recompress with one member per record, e.g. `warcio recompress`",
                        )
        except zlib.error as exc:
            raise WarcFormatError(label, start, f"corrupt deflate data: {exc}") from exc
        if not stream.ensure(8):
            raise WarcFormatError(label, start, "truncated gzip member trailer")
        crc, isize = struct.unpack_from("<II", stream.buf, stream.pos)
        stream.pos += 8
        data = b"".join(pieces)
        if not data:
            continue  # an empty member (some tools append one) holds no record
        rec = _parse_record(data, label, start)
        rec.offset = start
        rec.length = stream.offset - start
        rec.inflated_length = isize
        rec.inflated_crc = crc
        rec.gzip_header = info if info.length != 10 or info.extra else None
        yield rec


def _expected_size(pieces: list[bytes], label: str, offset: int) -> int | None:
    """Header + Content-Length + slack once the WARC header has been inflated, else None."""
    head = b"".join(pieces)
    end = head.find(b"\r\n\r\n")
    if end == -1:
        if len(head) < (1 << 20):
            return None
        raise WarcFormatError(label, offset, "no end of WARC header within the first MiB")
    length = _content_length(_tolerant_fields(head[: end + 4]), label, offset)
    return end + 4 + length + _SLACK


def _tolerant_fields(head: bytes) -> list[tuple[str, str]]:
    """WARC header fields decoded as UTF-8 (the WAT keeps Common Crawl's stricter view separately)."""
    fields = []
    for line in head.split(b"\n")[1:]:
        line = line.rstrip(b"\r")
        if not line:
            break
        name, sep, value = line.partition(b":")
        if sep:
            fields.append((name.strip().decode("utf-8", "replace"), value.strip().decode("utf-8", "replace")))
    return fields


def _content_length(fields: list[tuple[str, str]], label: str, offset: int) -> int:
    length = None
    for name, value in fields:
        if name.lower() == "content-length":
            length = value  # the last one wins, as in ia-web-commons' WARCResource
    if length is None:
        raise WarcFormatError(label, offset, "WARC record without Content-Length")
    try:
        n = int(length)
    except ValueError:
        raise WarcFormatError(label, offset, f"invalid Content-Length {length!r}") from None
    if n < 0:
        raise WarcFormatError(label, offset, f"negative Content-Length {n}")
    return n


def _parse_header(data: bytes, label: str, offset: int, end: int | None = None) -> tuple[WarcRecord, int]:
    """Parse the WARC header at the start of ``data``; return the record (block empty) and length."""
    if not data.startswith(b"WARC/"):
        raise WarcFormatError(label, offset, f"expected a WARC version line, found {data[:16]!r}")
    line = parse_status_line(data, 0, end)
    fields = parse_fields(data, line.consumed, end)
    header_length = line.counted + fields.consumed
    version = data[: data.find(b"\n")].rstrip(b"\r").decode("latin-1")
    rec = WarcRecord(headers=fields.headers, block=b"", header_length=header_length, version=version)
    if fields.corrupt or not fields.complete:
        rec.cache["wat_warc_fields"] = fields
        hend = data.find(b"\r\n\r\n", 0, end)
        rec.headers = _tolerant_fields(data[: hend + 4] if hend != -1 else data[:end])
    return rec, header_length


def _parse_record(data: bytes, label: str, offset: int) -> WarcRecord:
    rec, hlen = _parse_header(data, label, offset)
    length = _content_length(rec.headers, label, offset)
    rec.block = data[hlen : hlen + length]
    tail = data[hlen + length :]
    rec.trailing_length = len(tail)
    if b"WARC/" in tail:
        raise WarcFormatError(
            label,
            offset,
            "gzip member holds more than one WARC record (whole-file gzip?); "
            "recompress with one member per record, e.g. `warcio recompress`",
        )
    return rec


def _read_plain(stream: _Buffer, label: str) -> Iterator[WarcRecord]:
    while True:
        # skip blank lines between records, as lenient readers do
        while True:
            if not stream.ensure(1):
                return
            b = stream.buf[stream.pos]
            if b not in (10, 13):
                break
            stream.pos += 1
        start = stream.offset
        while True:
            hend = stream.buf.find(b"\r\n\r\n", stream.pos)
            if hend != -1:
                break
            if not stream.more():
                raise WarcFormatError(label, start, "truncated WARC header")
        head = stream.buf[stream.pos : hend + 4]
        rec, hlen = _parse_header(head, label, start, len(head))
        length = _content_length(rec.headers, label, start)
        if not stream.ensure(hlen + length):
            raise WarcFormatError(label, start, f"truncated WARC record (Content-Length {length})")
        rec.block = stream.buf[stream.pos + hlen : stream.pos + hlen + length]
        stream.pos += hlen + length
        trailing = 0
        while stream.ensure(1) and stream.buf[stream.pos] in (10, 13) and trailing < 4:
            stream.pos += 1
            trailing += 1
        rec.trailing_length = trailing
        rec.compressed = False
        rec.offset = start
        rec.length = stream.offset - start
        rec.inflated_length = rec.length
        yield rec


def decode_http_payload(body: bytes, headers: list[tuple[str, str]]) -> bytes:
    """Undo chunked transfer coding and gzip/deflate content coding still declared in ``headers``.

    Common Crawl's WARCs store payloads decoded and rename the headers (``X-Crawler-…``), so this
    is a no-op for them; other crawlers keep the wire bytes. Undecodable bodies come back as given.
    """
    for name, value in headers:
        lname = name.lower()
        if lname == "transfer-encoding" and "chunked" in value.lower():
            body = _dechunk(body)
        elif lname == "content-encoding":
            coding = value.strip().lower()
            if coding in ("gzip", "x-gzip", "deflate"):
                body = _inflate(body, coding)
    return body


def _dechunk(body: bytes) -> bytes:
    out = []
    pos = 0
    while pos < len(body):
        eol = body.find(b"\n", pos)
        if eol == -1:
            return body
        size_text = body[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return body  # not chunked after all
        if size == 0:
            break
        out.append(body[eol + 1 : eol + 1 + size])
        pos = eol + 1 + size
        if body[pos : pos + 2] == b"\r\n":
            pos += 2
        elif body[pos : pos + 1] == b"\n":
            pos += 1
    return b"".join(out)


def _inflate(body: bytes, coding: str) -> bytes:
    for wbits in (31, -15, 15) if coding != "deflate" else (15, -15, 31):
        try:
            return zlib.decompressobj(wbits).decompress(body)
        except zlib.error:
            continue
    return body
