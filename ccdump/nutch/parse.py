"""``ParseData`` (v4, v5 with both outlink layouts), ``Outlink`` and ``ParseText`` (v1, v2).

Nutch 1.8 added a metadata flag to each outlink without bumping ParseData's version, so the layout
is not self-describing. We decode with the ≥ 1.8 layout and accept it only if it ends exactly at the
end of the value, else try the ≤ 1.7 layout under the same test; the caller caches the winning
layout per part as the first guess (spec nutch-writables.md §8.2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError
from ccdump.nutch.mapwritable import MapEntries, read_hadoop_map, write_hadoop_map
from ccdump.nutch.metadata import Metadata, read_metadata, write_metadata
from ccdump.nutch.status import ParseStatus, read_parse_status, write_parse_status

PARSE_DATA = "org.apache.nutch.parse.ParseData"
PARSE_TEXT = "org.apache.nutch.parse.ParseText"

#: "flag": Nutch ≥ 1.8 (hasMetadata flag per outlink); "plain": Nutch 0.9–1.7; "utf8": Nutch 0.8.
OutlinkLayout = Literal["flag", "plain", "utf8"]


@dataclass
class Outlink:
    to_url: str
    anchor: str
    metadata: MapEntries | None = None


@dataclass
class ParseData:
    status: ParseStatus
    title: str
    outlinks: list[Outlink]
    content_meta: Metadata = field(default_factory=Metadata)
    parse_meta: Metadata = field(default_factory=Metadata)
    version: int = 5
    outlink_layout: OutlinkLayout = "flag"


@dataclass
class ParseText:
    text: str
    version: int = 2


def _read_v5(d: DataInput, layout: OutlinkLayout) -> ParseData:
    status = read_parse_status(d)
    title = d.text()
    at = d.pos
    n = d.i32()
    if n < 0 or n * 2 > d.remaining():
        raise DecodeError(at, "an outlink count that fits the value", str(n))
    outlinks = []
    for _ in range(n):
        to_url = d.text()
        anchor = d.text()
        meta = None
        if layout == "flag" and d.flag("an outlink metadata flag (00 or 01)"):
            meta = read_hadoop_map(d)
        outlinks.append(Outlink(to_url, anchor, meta))
    content_meta = read_metadata(d)
    parse_meta = read_metadata(d)
    if not d.at_end():
        raise DecodeError(d.pos, "the end of the ParseData value", f"{d.remaining()} more bytes")
    return ParseData(status, title, outlinks, content_meta, parse_meta, 5, layout)


def _read_old(d: DataInput, version: int) -> ParseData:
    status = read_parse_status(d) if version > 1 else ParseStatus(1, 0, None, 1)
    title = d.utf8()
    at = d.pos
    n = d.i32()
    if n < 0 or n * 4 > d.remaining():
        raise DecodeError(at, "an outlink count that fits the value", str(n))
    outlinks = [Outlink(d.utf8(), d.utf8()) for _ in range(n)]
    if version < 3:
        at = d.pos
        count = d.i32()
        if count < 0 or count * 4 > d.remaining():
            raise DecodeError(at, "a content-metadata count that fits the value", str(count))
        content_meta = Metadata()
        for _ in range(count):
            content_meta.add(d.utf8(), d.utf8())
    else:
        content_meta = read_metadata(d, legacy_utf8=True)
    parse_meta = read_metadata(d, legacy_utf8=True) if version > 3 else Metadata()
    if not d.at_end():
        raise DecodeError(d.pos, "the end of the ParseData value", f"{d.remaining()} more bytes")
    return ParseData(status, title, outlinks, content_meta, parse_meta, version, "utf8")


def read_parse_data(d: DataInput, prefer: OutlinkLayout = "flag") -> ParseData:
    """Decode a whole ParseData value (``d`` must span exactly the value)."""
    start = d.pos
    version = d.u8()
    if version < 5:
        return _read_old(d, version)
    if version != 5:
        raise DecodeError(start, "ParseData version ≤ 5", str(version))
    order: tuple[OutlinkLayout, OutlinkLayout] = ("plain", "flag") if prefer == "plain" else ("flag", "plain")
    first_error: DecodeError | None = None
    for layout in order:
        d.pos = start + 1
        try:
            return _read_v5(d, layout)
        except DecodeError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def write_parse_data(out: DataOutput, p: ParseData) -> None:
    out.u8(p.version)
    if p.version < 5:
        if p.version > 1:
            write_parse_status(out, p.status)
        out.utf8(p.title).i32(len(p.outlinks))
        for o in p.outlinks:
            out.utf8(o.to_url).utf8(o.anchor)
        if p.version < 3:
            pairs = [(k, v) for k, vs in p.content_meta for v in vs]
            out.i32(len(pairs))
            for k, v in pairs:
                out.utf8(k).utf8(v)
        else:
            write_metadata(out, p.content_meta, legacy_utf8=True)
        if p.version > 3:
            write_metadata(out, p.parse_meta, legacy_utf8=True)
        return
    write_parse_status(out, p.status)
    out.text(p.title).i32(len(p.outlinks))
    for o in p.outlinks:
        out.text(o.to_url).text(o.anchor)
        if p.outlink_layout == "flag":
            out.boolean(o.metadata is not None)
            if o.metadata is not None:
                write_hadoop_map(out, o.metadata)
    write_metadata(out, p.content_meta)
    write_metadata(out, p.parse_meta)


def read_parse_text(d: DataInput) -> ParseText:
    at = d.pos
    version = d.u8()
    if version == 2:
        return ParseText(d.text(), 2)
    if version == 1:
        return ParseText(d.compressed_string() or "", 1)
    raise DecodeError(at, "ParseText version 1 or 2", str(version))


def write_parse_text(out: DataOutput, t: ParseText) -> None:
    out.u8(t.version)
    if t.version == 2:
        out.text(t.text)
    else:
        out.compressed_string(t.text)
