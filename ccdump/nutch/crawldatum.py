"""``org.apache.nutch.crawl.CrawlDatum`` versions 4–7 (crawl_generate, crawl_fetch, crawl_parse, crawldb)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError
from ccdump.nutch.mapwritable import (
    PROTOCOL_STATUS,
    MapEntries,
    Writable,
    read_hadoop_map,
    read_nutch_map,
    write_hadoop_map,
    write_nutch_map,
)
from ccdump.nutch.status import OLD_STATUS, ProtocolStatus, crawl_status_name

CLASS = "org.apache.nutch.crawl.CrawlDatum"
CUR_VERSION = 7


def float_from_bits(bits: int) -> float:
    return struct.unpack(">f", struct.pack(">i", bits))[0]


def bits_from_float(value: float) -> int:
    return struct.unpack(">i", struct.pack(">f", value))[0]


@dataclass
class CrawlDatum:
    status: int
    fetch_time: int = 0
    retries: int = 0
    #: seconds (int) for v ≥ 6; days as a float in v ≤ 5 data
    fetch_interval: int | float = 0
    score_bits: int = 0
    modified_time: int = 0
    signature: bytes | None = None
    metadata: MapEntries = field(default_factory=list)
    version: int = CUR_VERSION
    #: the status byte as stored (v < 5 codes are translated into ``status``)
    stored_status: int | None = None

    @property
    def status_name(self) -> str:
        return crawl_status_name(self.status)

    @property
    def score(self) -> float:
        return float_from_bits(self.score_bits)

    def meta(self, key: str) -> Writable | None:
        for k, v in self.metadata:
            if k.value == key:
                return v
        return None

    @property
    def protocol_status(self) -> ProtocolStatus | None:
        w = self.meta("_pst_")
        return w.value if w is not None and w.cls == PROTOCOL_STATUS else None


def read_crawl_datum(d: DataInput, legacy_utf8: bool = False) -> CrawlDatum:
    """``legacy_utf8``: Nutch 0.8 data (UTF8 keys), whose v4 metadata names classes in UTF8."""
    at = d.pos
    version = d.u8()
    if version > CUR_VERSION:
        raise DecodeError(at, f"a CrawlDatum version ≤ {CUR_VERSION}", str(version))
    stored = d.u8()
    status = stored if version >= 5 else OLD_STATUS.get(stored, 0x01)
    fetch_time = d.i64()
    retries = d.u8()
    interval: int | float = d.i32() if version > 5 else d.f32()
    score_bits = d.i32()
    modified = 0
    signature = None
    metadata: MapEntries = []
    if version > 2:
        modified = d.i64()
        n = d.i8()
        if n > 0:
            signature = d.raw(n, "the signature")
    if version > 3 and d.boolean():
        metadata = read_hadoop_map(d) if version >= 7 else read_nutch_map(d, legacy_utf8)
    return CrawlDatum(status, fetch_time, retries, interval, score_bits, modified, signature, metadata, version, stored)


def write_crawl_datum(out: DataOutput, c: CrawlDatum) -> None:
    v = c.version
    out.u8(v).u8(c.stored_status if c.stored_status is not None else c.status).i64(c.fetch_time).u8(c.retries)
    if v > 5:
        out.i32(int(c.fetch_interval))
    else:
        out.f32(float(c.fetch_interval))
    out.i32(c.score_bits)
    if v > 2:
        out.i64(c.modified_time)
        if c.signature:
            out.u8(len(c.signature)).raw(c.signature)
        else:
            out.u8(0)
    if v > 3:
        out.boolean(bool(c.metadata))
        if c.metadata:
            (write_hadoop_map if v >= 7 else write_nutch_map)(out, c.metadata)
