"""``org.apache.nutch.crawl.Inlinks`` (the linkdb, used by the dumper's ``-linkdb``).

Nutch 1.21 added a per-inlink metadata flag without a version bump; as with outlinks we accept
the flagged layout only when it consumes the value exactly, else the plain one.
"""

from __future__ import annotations

from dataclasses import dataclass

from ccdump.hadoop.writables import DataInput, DataOutput, DecodeError
from ccdump.nutch.mapwritable import MapEntries, read_hadoop_map, write_hadoop_map

CLASS = "org.apache.nutch.crawl.Inlinks"


@dataclass
class Inlink:
    from_url: str
    anchor: str
    metadata: MapEntries | None = None


def _read(d: DataInput, layout: str) -> list[Inlink]:
    at = d.pos
    n = d.i32()
    if n < 0 or n * 2 > d.remaining():
        raise DecodeError(at, "an inlink count that fits the value", str(n))
    out = []
    for _ in range(n):
        if layout == "utf8":
            out.append(Inlink(d.utf8(), d.utf8()))
            continue
        from_url, anchor = d.text(), d.text()
        meta = read_hadoop_map(d) if layout == "flag" and d.flag("an inlink metadata flag") else None
        out.append(Inlink(from_url, anchor, meta))
    if not d.at_end():
        raise DecodeError(d.pos, "the end of the Inlinks value", f"{d.remaining()} more bytes")
    return out


def read_inlinks(d: DataInput, legacy_utf8: bool = False) -> list[Inlink]:
    start = d.pos
    if legacy_utf8:
        return _read(d, "utf8")
    error: DecodeError | None = None
    for layout in ("flag", "plain"):
        d.pos = start
        try:
            return _read(d, layout)
        except DecodeError as exc:
            error = error or exc
    assert error is not None
    raise error


def write_inlinks(out: DataOutput, inlinks: list[Inlink], with_flag: bool = True) -> None:
    out.i32(len(inlinks))
    for i in inlinks:
        out.text(i.from_url).text(i.anchor)
        if with_flag:
            out.boolean(i.metadata is not None)
            if i.metadata is not None:
                write_hadoop_map(out, i.metadata)


class LinkDb:
    """Keyed inlink lookups in a linkdb (``<linkdb>/current/part-*`` MapFiles), for ``-linkdb``."""

    #: Nutch's effective cap: the set is filled while its size is ≤ 5 000.
    MAX_INLINKS = 5001

    def __init__(self, path: str) -> None:
        from ccdump.hadoop import fs
        from ccdump.hadoop.mapfile import MapFileReader

        current = fs.join(path, "current") if fs.isdir(fs.join(path, "current")) else path
        if not fs.isdir(current):
            from ccdump.errors import InputError

            raise InputError(f"{path}: no linkdb here (expected {current}/part-*)")
        self.parts = [
            MapFileReader(fs.join(current, name))
            for name in fs.listdir(current)
            if name.startswith("part-") and fs.isdir(fs.join(current, name))
        ]

    def inlinks(self, url: str) -> list[str]:
        """``fromUrl`` of each inlink, stored order, duplicates removed, at most 5 001."""
        from ccdump.hadoop.writables import DataInput

        key = url.encode("utf-8")
        seen: dict[str, None] = {}
        for part in self.parts:
            for rec in part.get_all(key):
                for link in read_inlinks(DataInput(rec.value)):
                    if len(seen) >= self.MAX_INLINKS:
                        return list(seen)
                    seen.setdefault(link.from_url, None)
        return list(seen)
