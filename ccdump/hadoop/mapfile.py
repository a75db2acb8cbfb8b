"""MapFile: a directory holding a sorted ``data`` SequenceFile and its ``index``.

ccdump reads ``data`` sequentially for conversions and uses ``index`` only for keyed lookups
(``readseg -get``, the linkdb): binary search over the index keys (raw byte order, as Hadoop's
Text comparator), seek to the entry's offset, scan forward.
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Iterator

from ccdump.errors import SegmentFormatError
from ccdump.hadoop import fs
from ccdump.hadoop.sequencefile import LONG, OnError, RawRecord, SequenceFileReader

DATA = "data"
INDEX = "index"


class MapFileIndex:
    """The ``index`` file loaded in memory: one entry per ~128 records, so it stays small."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.keys: list[bytes] = []
        self.offsets: list[int] = []
        with SequenceFileReader(path) as reader:
            self.header = reader.header
            if reader.header.value_class != LONG:
                raise SegmentFormatError(path, 0, f"an index of {LONG} values", reader.header.value_class)
            for rec in reader:
                if len(rec.value) != 8:
                    raise SegmentFormatError(path, rec.offset, "an 8-byte LongWritable offset", f"{len(rec.value)} bytes")
                self.keys.append(rec.key)
                self.offsets.append(struct.unpack(">q", rec.value)[0])

    def __len__(self) -> int:
        return len(self.keys)

    def floor(self, key: bytes) -> int | None:
        """Offset of the last entry whose key is ≤ ``key`` (None when ``key`` sorts first)."""
        i = bisect.bisect_right(self.keys, key) - 1
        return self.offsets[i] if i >= 0 else None

    def entries(self) -> list[tuple[bytes, int]]:
        return list(zip(self.keys, self.offsets, strict=False))


class MapFileReader:
    """Sequential and keyed access to one MapFile directory (e.g. ``content/part-r-00000``)."""

    def __init__(self, path: str, *, on_error: OnError = "raise") -> None:
        self.path = path
        self.data_path = fs.join(path, DATA)
        self.index_path = fs.join(path, INDEX)
        self.on_error = on_error
        self._index: MapFileIndex | None = None

    @property
    def index(self) -> MapFileIndex:
        if self._index is None:
            self._index = MapFileIndex(self.index_path)
        return self._index

    def open_data(self) -> SequenceFileReader:
        return SequenceFileReader(self.data_path, on_error=self.on_error)

    def __iter__(self) -> Iterator[RawRecord]:
        with self.open_data() as reader:
            yield from reader

    def get_all(self, key: bytes) -> list[RawRecord]:
        """Every record stored under ``key`` (crawl_fetch may hold a key twice).

        The scan starts at the last index entry *before* ``key``: an entry can fall on the second of
        two equal keys, and starting there would miss the first.
        """
        index = self.index
        if not index.keys or index.keys[0] > key:
            return []
        start = index.offsets[max(bisect.bisect_left(index.keys, key) - 1, 0)]
        found: list[RawRecord] = []
        with self.open_data() as reader:
            for rec in reader.records(start):
                if rec.key == key:
                    found.append(rec)
                elif rec.key > key:
                    break
        return found

    def get(self, key: bytes) -> RawRecord | None:
        found = self.get_all(key)
        return found[0] if found else None
