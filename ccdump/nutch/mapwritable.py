"""Typed Writable values inside MapWritables: Hadoop's (CrawlDatum v7, outlink/inlink metadata) and
the old Nutch one (CrawlDatum v4–v6).

A MapWritable value has no length prefix, so a value of a class we cannot decode makes the rest of
the map unreadable: that raises :class:`DecodeError` and the record is reported, never guessed at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError
from ccdump.nutch.status import ProtocolStatus, read_protocol_status, write_protocol_status

H = "org.apache.hadoop.io."
PROTOCOL_STATUS = "org.apache.nutch.protocol.ProtocolStatus"
TEXT = H + "Text"
UTF8 = H + "UTF8"


@dataclass
class Writable:
    """A value with its Java class name, e.g. ``Writable("org.apache.hadoop.io.LongWritable", 5)``."""

    cls: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, ProtocolStatus):
            value = value.to_json()
        elif isinstance(value, bytes):
            value = value.hex()
        elif isinstance(value, list) and value and isinstance(value[0], tuple):
            value = {k.value if isinstance(k, Writable) else k: v.to_json() for k, v in value}
        return {"class": self.cls, "value": value}


#: Hadoop AbstractMapWritable predefined ids.
HADOOP_IDS: dict[int, str] = {
    -127: H + "ArrayWritable",
    -126: H + "BooleanWritable",
    -125: H + "BytesWritable",
    -124: H + "FloatWritable",
    -123: H + "IntWritable",
    -122: H + "LongWritable",
    -121: H + "MapWritable",
    -120: H + "MD5Hash",
    -119: H + "NullWritable",
    -118: H + "ObjectWritable",
    -117: H + "SortedMapWritable",
    -116: TEXT,
    -115: H + "TwoDArrayWritable",
    -114: H + "VIntWritable",
    -113: H + "VLongWritable",
}
HADOOP_CLASS_IDS = {v: k for k, v in HADOOP_IDS.items()}

NUTCH_MAP = "org.apache.nutch.crawl.MapWritable"


def nutch_ids(legacy_utf8: bool) -> dict[int, str]:
    """Nutch MapWritable predefined ids; -125 was UTF8 before 2006-10 and Text afterwards."""
    return {
        -127: H + "NullWritable",
        -126: H + "LongWritable",
        -125: UTF8 if legacy_utf8 else TEXT,
        -124: H + "MD5Hash",
        -123: "org.apache.nutch.fetcher.FetcherOutput",
        -122: "org.apache.nutch.protocol.Content",
        -121: "org.apache.nutch.parse.ParseText",
        -120: "org.apache.nutch.parse.ParseData",
        -119: NUTCH_MAP,
        -118: H + "BytesWritable",
        -117: H + "FloatWritable",
        -116: H + "IntWritable",
        -115: H + "ObjectWritable",
        -114: PROTOCOL_STATUS,
    }


def read_value(d: DataInput, cls: str, legacy_utf8: bool = False) -> Writable:
    """Decode one Writable of a known class."""
    if cls == TEXT:
        return Writable(cls, d.text())
    if cls == UTF8:
        return Writable(cls, d.utf8())
    if cls == H + "LongWritable":
        return Writable(cls, d.i64())
    if cls == H + "IntWritable":
        return Writable(cls, d.i32())
    if cls == H + "FloatWritable":
        return Writable(cls, d.f32())
    if cls == H + "BooleanWritable":
        return Writable(cls, d.boolean())
    if cls == H + "NullWritable":
        return Writable(cls, None)
    if cls == H + "BytesWritable":
        at = d.pos
        n = d.i32()
        return Writable(cls, d.raw(d.length(n, f"BytesWritable at {at}")))
    if cls == H + "MD5Hash":
        return Writable(cls, d.raw(16, "an MD5Hash"))
    if cls == H + "VIntWritable":
        return Writable(cls, d.vint())
    if cls == H + "VLongWritable":
        return Writable(cls, d.vlong())
    if cls == H + "MapWritable":
        return Writable(cls, read_hadoop_map(d))
    if cls == NUTCH_MAP:
        return Writable(cls, read_nutch_map(d, legacy_utf8))
    if cls == PROTOCOL_STATUS:
        return Writable(cls, read_protocol_status(d))
    raise DecodeError(d.pos, "a MapWritable value of a decodable class", cls)


def write_value(out: DataOutput, w: Writable) -> None:
    cls, v = w.cls, w.value
    if cls == TEXT:
        out.text(v)
    elif cls == UTF8:
        out.utf8(v)
    elif cls == H + "LongWritable":
        out.i64(v)
    elif cls == H + "IntWritable":
        out.i32(v)
    elif cls == H + "FloatWritable":
        out.f32(v)
    elif cls == H + "BooleanWritable":
        out.boolean(v)
    elif cls == H + "NullWritable":
        pass
    elif cls == H + "BytesWritable":
        out.i32(len(v)).raw(v)
    elif cls == H + "MD5Hash":
        out.raw(v)
    elif cls == H + "VIntWritable" or cls == H + "VLongWritable":
        out.vlong(v)
    elif cls == H + "MapWritable":
        write_hadoop_map(out, v)
    elif cls == NUTCH_MAP:
        write_nutch_map(out, v)
    elif cls == PROTOCOL_STATUS:
        write_protocol_status(out, v)
    else:
        raise ValueError(f"cannot write a {cls}")


MapEntries = list[tuple[Writable, Writable]]


def read_hadoop_map(d: DataInput) -> MapEntries:
    """``org.apache.hadoop.io.MapWritable``: class table, then (id, key, id, value) entries."""
    classes = dict(HADOOP_IDS)
    at = d.pos
    n_classes = d.u8()
    if n_classes > d.remaining():
        raise DecodeError(at, "a MapWritable class count that fits the value", str(n_classes))
    for _ in range(n_classes):
        cid = d.i8()
        classes[cid] = d.write_utf()
    at = d.pos
    n = d.i32()
    if n < 0 or n * 2 > d.remaining():
        raise DecodeError(at, "a MapWritable entry count that fits the value", str(n))
    entries: MapEntries = []
    for _ in range(n):
        key = read_value(d, _class(classes, d.i8(), d.pos - 1))
        value = read_value(d, _class(classes, d.i8(), d.pos - 1))
        entries.append((key, value))
    return entries


def read_nutch_map(d: DataInput, legacy_utf8: bool = False) -> MapEntries:
    """The old ``org.apache.nutch.crawl.MapWritable``: both class ids come before the key."""
    classes = nutch_ids(legacy_utf8)
    at = d.pos
    n = d.i32()
    if n < 0 or n * 2 > d.remaining():
        raise DecodeError(at, "a Nutch MapWritable size that fits the value", str(n))
    entries: MapEntries = []
    if n == 0:
        return entries
    for _ in range(d.u8()):
        cid = d.i8()
        classes[cid] = d.utf8() if legacy_utf8 else d.text()
    for _ in range(n):
        kid, vid = d.i8(), d.i8()
        key = read_value(d, _class(classes, kid, d.pos - 2), legacy_utf8)
        value = read_value(d, _class(classes, vid, d.pos - 1), legacy_utf8)
        entries.append((key, value))
    return entries


def _class(classes: dict[int, str], cid: int, at: int) -> str:
    try:
        return classes[cid]
    except KeyError:
        raise DecodeError(at, "a known MapWritable class id", str(cid)) from None


def _ids_for(entries: MapEntries, predefined: dict[str, int]) -> dict[str, int]:
    ids: dict[str, int] = {}
    for k, v in entries:
        for w in (k, v):
            if w.cls not in predefined and w.cls not in ids:
                ids[w.cls] = len(ids) + 1
    return ids


def write_hadoop_map(out: DataOutput, entries: MapEntries) -> None:
    custom = _ids_for(entries, HADOOP_CLASS_IDS)
    out.u8(len(custom))
    for cls, cid in custom.items():
        out.u8(cid).write_utf(cls)
    out.i32(len(entries))
    ids = {**HADOOP_CLASS_IDS, **custom}
    for k, v in entries:
        out.u8(ids[k.cls])
        write_value(out, k)
        out.u8(ids[v.cls])
        write_value(out, v)


def write_nutch_map(out: DataOutput, entries: MapEntries, legacy_utf8: bool = False) -> None:
    predefined = {v: k for k, v in nutch_ids(legacy_utf8).items()}
    out.i32(len(entries))
    if not entries:
        return
    custom = _ids_for(entries, predefined)
    out.u8(len(custom))
    for cls, cid in custom.items():
        out.u8(cid)
        (out.utf8 if legacy_utf8 else out.text)(cls)
    ids = {**predefined, **custom}
    for k, v in entries:
        out.u8(ids[k.cls]).u8(ids[v.cls])
        write_value(out, k)
        write_value(out, v)


def map_to_json(entries: MapEntries | None) -> dict[str, Any] | None:
    if entries is None:
        return None
    return {str(k.value): v.to_json() for k, v in entries}
