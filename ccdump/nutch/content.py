"""``org.apache.nutch.protocol.Content``: the fetched bytes with their URL, type and metadata.

Two layouts: the current one (leading int32 -1, Nutch ≥ 1.0) and the old zlib-wrapped one
(Nutch 0.8/0.9), whose inner versions 0/1 use UTF8 strings and version 2 Text strings.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

from ccdump.hadoop.writables import MAX_INFLATED, DataInput, DataOutput, DecodeError
from ccdump.nutch.metadata import Metadata, read_metadata, write_metadata

CLASS = "org.apache.nutch.protocol.Content"


@dataclass
class Content:
    url: str
    base: str
    content: bytes
    content_type: str
    metadata: Metadata = field(default_factory=Metadata)
    #: -1 for the current layout; 0, 1 or 2 for the inner version of a zlib-wrapped record.
    version: int = -1


def read_content(d: DataInput) -> Content:
    at = d.pos
    first = d.i32()
    if first < 0:
        if first != -1:
            raise DecodeError(at, "Content version -1 (or a non-negative zlib blob length)", str(first))
        url = d.text()
        base = d.text()
        n_at = d.pos
        n = d.i32()
        body = d.raw(d.length(n, f"Content body (length field at {n_at})"))
        content_type = d.text()
        return Content(url, base, body, content_type, read_metadata(d), -1)
    blob = d.raw(d.length(first, "zlib-wrapped Content"))
    try:
        inflater = zlib.decompressobj()
        inner = inflater.decompress(blob, MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            raise zlib.error("incomplete or oversized stream")
    except zlib.error as exc:
        raise DecodeError(at + 4, "a zlib stream holding an old Content record", str(exc)) from None
    return _read_old_content(DataInput(inner), at + 4)


def _read_old_content(d: DataInput, blob_at: int) -> Content:
    try:
        version = d.u8()
        if version > 2:
            raise DecodeError(0, "old Content version 0, 1 or 2", str(version))
        legacy = version < 2
        string = d.utf8 if legacy else d.text
        url = string()
        base = string()
        n = d.i32()
        body = d.raw(d.length(n, "Content body"))
        content_type = string()
        meta = read_metadata(d, legacy_utf8=legacy)
        if not d.at_end():
            raise DecodeError(d.pos, "the end of the zlib-wrapped Content", f"{d.remaining()} more bytes")
    except DecodeError as exc:
        raise DecodeError(blob_at, f"a zlib-wrapped Content (inner byte {exc.offset}: {exc.expected})", exc.found) from None
    return Content(url, base, body, content_type, meta, version)


def write_content(out: DataOutput, c: Content) -> None:
    if c.version == -1:
        out.i32(-1).text(c.url).text(c.base).i32(len(c.content)).raw(c.content).text(c.content_type)
        write_metadata(out, c.metadata)
        return
    legacy = c.version < 2
    inner = DataOutput().u8(c.version)
    string = inner.utf8 if legacy else inner.text
    string(c.url)
    string(c.base)
    inner.i32(len(c.content)).raw(c.content)
    string(c.content_type)
    write_metadata(inner, c.metadata, legacy_utf8=legacy)
    blob = zlib.compress(inner.getvalue(), 1)  # Deflater BEST_SPEED, header 78 01
    out.i32(len(blob)).raw(blob)
