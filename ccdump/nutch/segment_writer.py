"""Write complete Nutch segments (and a linkdb) the way Nutch and Hadoop lay them out.

Used to build test data for every layout ccdump must read and sample segments for benchmarks; see
spec hadoop-sequencefile.md §5–§6 for the facts followed here:

* ``crawl_generate/part-*``: plain SequenceFile, NONE by default; partitioned by host like Nutch's
  ``URLPartitioner`` (``(String.hashCode(host) ^ seed) & MAX % n``) and ordered by Nutch's
  ``Generator.HashComparator`` (a reversed 31-polynomial over the URL bytes), as real segments are;
* ``crawl_fetch``, ``content``, ``parse_data``, ``parse_text``: MapFiles sorted by URL (raw bytes),
  partitioned by Hadoop's ``HashPartitioner`` over ``Text.hashCode``; ``parse_text`` always RECORD;
* ``crawl_parse``: plain SequenceFile in the same part as its source URL, grouped by source URL in
  sorted order (the reduce order), each group in the order given;
* ``_SUCCESS`` in the segment and in ``crawl_generate``; ``.crc`` sidecars; part names
  ``part-r-NNNNN`` or, for Nutch ≤ 1.14 style, ``part-NNNNN``.

Memory stays bounded: every value is serialized and appended to a spill file as soon as it is
added; only (key, sequence number, offset, length) entries are sorted, and those are written out
as sorted runs once ``max_in_memory`` accumulate and merged at close. A caller whose URLs already
arrive in sorted order passes ``presorted=True`` and the fetch-side files are written directly.
"""

from __future__ import annotations

import heapq
import os
import re
import shutil
import struct
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Literal

from ccdump.hadoop.crc import sidecar_path
from ccdump.hadoop.crc import write_crc as _write_crc
from ccdump.hadoop.sequencefile import TEXT
from ccdump.hadoop.writables import DataOutput
from ccdump.hadoop.writer import (
    DEFAULT_BLOCK_SIZE,
    OLD_SYNC_INTERVAL,
    SYNC_INTERVAL,
    Compression,
    MapFileWriter,
    SequenceFileWriter,
    hash_partition,
    make_sync,
    serialize_key,
)
from ccdump.nutch import content as content_mod
from ccdump.nutch import crawldatum, linkdb, parse
from ccdump.nutch.content import Content, write_content
from ccdump.nutch.crawldatum import CrawlDatum, write_crawl_datum
from ccdump.nutch.linkdb import Inlink, write_inlinks
from ccdump.nutch.mapwritable import Writable, write_value
from ccdump.nutch.parse import ParseData, ParseText, write_parse_data, write_parse_text

GENERATE = "crawl_generate"
FETCH = "crawl_fetch"
CONTENT = "content"
CRAWL_PARSE = "crawl_parse"
PARSE_DATA = "parse_data"
PARSE_TEXT = "parse_text"
FOLDERS = (GENERATE, FETCH, CONTENT, CRAWL_PARSE, PARSE_DATA, PARSE_TEXT)
_MAPFILES = (FETCH, CONTENT, PARSE_DATA, PARSE_TEXT)
VALUE_CLASSES = {
    GENERATE: crawldatum.CLASS,
    FETCH: crawldatum.CLASS,
    CONTENT: content_mod.CLASS,
    CRAWL_PARSE: crawldatum.CLASS,
    PARSE_DATA: parse.PARSE_DATA,
    PARSE_TEXT: parse.PARSE_TEXT,
}
_CODE = {FETCH: 0, CONTENT: 1, PARSE_DATA: 2, PARSE_TEXT: 3, CRAWL_PARSE: 4, GENERATE: 5}
_FOLDER_OF = {v: k for k, v in _CODE.items()}

GenerateOrder = Literal["hash", "hash_with_length", "input"]
GeneratePartition = Literal["host", "url"]


# --- serialization and hashing -----------------------------------------------------------------------


def serialize_value(value: Any) -> bytes:
    """Serialize a Nutch value object (bytes pass through unchanged).

    Content, CrawlDatum, ParseData, ParseText, a list of :class:`Inlink` (an ``Inlinks`` value, with
    the Nutch ≥ 1.21 metadata flag) or a MapWritable :class:`Writable`.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    out = DataOutput()
    if isinstance(value, Content):
        write_content(out, value)
    elif isinstance(value, CrawlDatum):
        write_crawl_datum(out, value)
    elif isinstance(value, ParseData):
        write_parse_data(out, value)
    elif isinstance(value, ParseText):
        write_parse_text(out, value)
    elif isinstance(value, list) and all(isinstance(i, Inlink) for i in value):
        write_inlinks(out, value)
    elif isinstance(value, Writable):
        write_value(out, value)
    else:
        raise TypeError(f"cannot serialize a {type(value).__name__} as a Nutch value")
    return out.getvalue()


def java_string_hash(s: str) -> int:
    """``String.hashCode()``: 31-polynomial over the UTF-16 code units, seed 0, as a signed int32."""
    units = s.encode("utf-16-be", "surrogatepass")
    h = 0
    for i in range(0, len(units), 2):
        h = (31 * h + ((units[i] << 8) | units[i + 1])) & 0xFFFFFFFF
    return h - (1 << 32) if h > 0x7FFFFFFF else h


_URL_AUTHORITY = re.compile(r"^(?:https?|ftp|file|jar):(?://([^/?#]*))?", re.IGNORECASE)


def java_url_host(url: str) -> str | None:
    """``new URL(url).getHost()`` for the schemes Java knows: case kept, IPv6 with brackets.

    ``None`` when Java would throw MalformedURLException (unknown scheme).
    """
    m = _URL_AUTHORITY.match(url)
    if not m:
        return None
    host = (m.group(1) or "").rsplit("@", 1)[-1]
    if host.startswith("["):
        end = host.find("]")
        return host[: end + 1] if end >= 0 else host
    return host.split(":", 1)[0]


def url_partition(url: str, num_partitions: int, mode: GeneratePartition = "host", seed: int = 0) -> int:
    """Nutch ``URLPartitioner`` (used by the Generator for crawl_generate parts).

    ``mode="host"`` (``partition.url.mode=byHost``, the default) hashes the host, ``"url"`` the whole
    URL string; the hash is XORed with ``partition.url.seed``, which the Generator sets randomly
    per run (pass the same seed to reproduce a layout).
    """
    host = java_url_host(url) if mode == "host" else None
    h = java_string_hash(host if host is not None else url)
    h ^= seed & 0xFFFFFFFF
    return (h & 0x7FFFFFFF) % num_partitions


def generate_sort_hash(payload: bytes, with_length: bool = False) -> int:
    """The key Nutch's ``Generator.HashComparator`` sorts crawl_generate by (signed int32).

    31-polynomial with seed 1 over the URL bytes from last to first. Current Nutch hashes the URL
    bytes; Nutch 1.10's raw comparator hashed the serialized key including its VInt length
    (``with_length``), which is what the 2015 test segments show.
    """
    data = serialize_key(payload, TEXT) if with_length else payload
    h = 1
    for b in reversed(data):
        h = (31 * h + (b - 256 if b > 127 else b)) & 0xFFFFFFFF
    return h - (1 << 32) if h > 0x7FFFFFFF else h


# --- bounded sorting --------------------------------------------------------------------------------

_RUN_ENTRY = struct.Struct(">QQI")


class _ExternalSorter:
    """Sort ``(key, seq, offset, length)`` entries in bounded memory: sorted runs on disk, merged at the end.

    ``seq`` is unique, so equal keys keep insertion order.
    """

    def __init__(self, tmpdir: str, max_in_memory: int) -> None:
        self._tmpdir = tmpdir
        self._max = max_in_memory
        self._buf: list[tuple[bytes, int, int, int]] = []
        self._runs: list[BinaryIO] = []
        self.count = 0

    def add(self, key: bytes, seq: int, offset: int, length: int) -> None:
        self._buf.append((key, seq, offset, length))
        self.count += 1
        if len(self._buf) >= self._max:
            self._spill()

    def _spill(self) -> None:
        self._buf.sort()
        f = tempfile.TemporaryFile(dir=self._tmpdir)  # noqa: SIM115 - kept open until merged
        out = bytearray()
        for key, seq, offset, length in self._buf:
            out += struct.pack(">I", len(key)) + key + _RUN_ENTRY.pack(seq, offset, length)
            if len(out) > 1 << 20:
                f.write(out)
                out.clear()
        f.write(out)
        f.seek(0)
        self._runs.append(f)
        self._buf = []

    @staticmethod
    def _read_run(f: BinaryIO) -> Iterator[tuple[bytes, int, int, int]]:
        while True:
            head = f.read(4)
            if not head:
                return
            key = f.read(struct.unpack(">I", head)[0])
            seq, offset, length = _RUN_ENTRY.unpack(f.read(_RUN_ENTRY.size))
            yield key, seq, offset, length

    def sorted(self) -> Iterator[tuple[bytes, int, int, int]]:
        self._buf.sort()
        if not self._runs:
            return iter(self._buf)
        return heapq.merge(*(self._read_run(f) for f in self._runs), iter(self._buf))

    def close(self) -> None:
        for f in self._runs:
            f.close()
        self._runs = []
        self._buf = []


class _Spill:
    """An append-only scratch file of serialized values, read back by offset at close."""

    def __init__(self, tmpdir: str) -> None:
        self._f = tempfile.TemporaryFile(dir=tmpdir)  # noqa: SIM115 - closed in close()
        self._pos = 0

    def put(self, data: bytes) -> tuple[int, int]:
        self._f.write(data)
        at = self._pos
        self._pos += len(data)
        return at, len(data)

    def get(self, offset: int, length: int) -> bytes:
        self._f.seek(offset)
        data = self._f.read(length)
        self._f.seek(0, os.SEEK_END)
        return data

    def close(self) -> None:
        self._f.close()


def _pack_bundle(items: list[tuple[int, bytes, bytes]]) -> bytes:
    """The fetch-side records of one URL: (folder code, serialized key, value) triples."""
    out = bytearray(struct.pack(">I", len(items)))
    for code, key, value in items:
        out += struct.pack(">BII", code, len(key), len(value)) + key + value
    return bytes(out)


def _unpack_bundle(data: bytes) -> Iterator[tuple[int, bytes, bytes]]:
    (n,) = struct.unpack_from(">I", data)
    pos = 4
    for _ in range(n):
        code, klen, vlen = struct.unpack_from(">BII", data, pos)
        pos += 9
        key = data[pos : pos + klen]
        value = data[pos + klen : pos + klen + vlen]
        pos += klen + vlen
        yield code, key, value


def _hash_sort_key(h: int) -> bytes:
    """A signed int32 as 4 bytes that sort like the int (for the byte-keyed sorter)."""
    return ((h + (1 << 31)) & 0xFFFFFFFF).to_bytes(4, "big")


def _write_marker(path: str, crc: bool) -> None:
    with open(path, "wb"):
        pass
    if crc:
        _write_crc(path)
    elif os.path.exists(sidecar_path(path)):
        os.remove(sidecar_path(path))


def part_name(index: int, old_style: bool = False) -> str:
    """``part-r-00003`` (Nutch ≥ 1.15, mapreduce API) or ``part-00003`` (Nutch ≤ 1.14)."""
    return f"part-{index:05d}" if old_style else f"part-r-{index:05d}"


# --- the segment writer -------------------------------------------------------------------------------


@dataclass
class SegmentSummary:
    """What :meth:`SegmentWriter.close` wrote: records per folder and per part."""

    path: str
    records: dict[str, list[int]] = field(default_factory=dict)

    def total(self, folder: str) -> int:
        return sum(self.records.get(folder, []))


Value = Any  # a Nutch object (Content, CrawlDatum, ...) or its serialized bytes


class SegmentWriter:
    """Write one Nutch segment directory (e.g. ``segments/20241121120000``).

    Add one URL at a time with :meth:`add`, in any order (or sorted, with ``presorted=True``),
    then :meth:`close`. ``compression``/``codec`` apply to crawl_fetch, content, parse_data and
    crawl_parse; parse_text uses ``parse_text_compression`` (RECORD, as Nutch hard-codes);
    crawl_generate uses ``generate_compression`` (NONE unless job output compression is on).
    ``old_style`` selects Nutch ≤ 1.14 conventions: ``part-NNNNN`` names, the Hadoop 2 sync
    interval of 2 000 bytes and Nutch 1.10's crawl_generate order.
    With ``sync_seed`` every sync marker is derived from it, so output is reproducible.
    """

    def __init__(
        self,
        segment_dir: str,
        compression: Compression = "RECORD",
        codec: str = "default",
        parts: int = 1,
        *,
        folders: Iterable[str] = FOLDERS,
        parse_text_compression: Compression = "RECORD",
        generate_compression: Compression = "NONE",
        generate_codec: str = "default",
        old_style: bool = False,
        part_names: Literal["part-r", "part"] | None = None,
        sync_interval: int | None = None,
        generate_order: GenerateOrder | None = None,
        generate_partition: GeneratePartition = "host",
        partition_seed: int = 0,
        presorted: bool = False,
        sync_seed: str | None = None,
        crc: bool = True,
        success_files: bool = True,
        block_size: int = DEFAULT_BLOCK_SIZE,
        index_interval: int = 128,
        max_in_memory: int = 100_000,
        spill_dir: str | None = None,
        overwrite: bool = False,
    ) -> None:
        if parts < 1:
            raise ValueError("parts must be ≥ 1")
        unknown = set(folders) - set(FOLDERS)
        if unknown:
            raise ValueError(f"unknown segment folders: {sorted(unknown)}")
        self.path = os.path.abspath(segment_dir)
        self.parts = parts
        self.folders = tuple(f for f in FOLDERS if f in set(folders))
        self.presorted = presorted
        self.crc = crc
        self.success_files = success_files
        self.generate_partition = generate_partition
        self.partition_seed = partition_seed
        old_names = (part_names == "part") if part_names is not None else old_style
        self.generate_order: GenerateOrder = generate_order or ("hash_with_length" if old_style else "hash")
        interval = sync_interval or (OLD_SYNC_INTERVAL if old_style else SYNC_INTERVAL)
        self._names = [part_name(i, old_names) for i in range(parts)]

        os.makedirs(self.path, exist_ok=True)
        self._scratch = tempfile.mkdtemp(prefix=".ccdump-spill-", dir=spill_dir or self.path)
        self._spill = _Spill(self._scratch)
        self._seq = 0
        self._closed = False
        self._fetch_sorters = [_ExternalSorter(self._scratch, max_in_memory) for _ in range(parts)]
        self._gen_sorters = [_ExternalSorter(self._scratch, max_in_memory) for _ in range(parts)]
        self._last_url: list[bytes | None] = [None] * parts
        self._writers: dict[tuple[str, int], MapFileWriter | SequenceFileWriter] = {}

        def sync_for(folder: str, part: int, what: str) -> bytes | None:
            return (
                make_sync(f"{sync_seed}/{folder}/{self._names[part]}/{what}")
                if sync_seed is not None
                else None
            )

        common = dict(sync_interval=interval, block_size=block_size, crc=crc, overwrite=overwrite)
        try:
            for folder in self.folders:
                for i, name in enumerate(self._names):
                    target = os.path.join(self.path, folder, name)
                    vc = VALUE_CLASSES[folder]
                    if folder in _MAPFILES:
                        comp = parse_text_compression if folder == PARSE_TEXT else compression
                        self._writers[folder, i] = MapFileWriter(
                            target,
                            TEXT,
                            vc,
                            compression=comp,
                            codec=codec,
                            sync=sync_for(folder, i, "data"),
                            index_sync=sync_for(folder, i, "index"),
                            index_interval=index_interval,
                            **common,
                        )
                    elif folder == CRAWL_PARSE:
                        self._writers[folder, i] = SequenceFileWriter(
                            target,
                            TEXT,
                            vc,
                            compression=compression,
                            codec=codec,
                            sync=sync_for(folder, i, "data"),
                            **common,
                        )
                    else:
                        self._writers[folder, i] = SequenceFileWriter(
                            target,
                            TEXT,
                            vc,
                            compression=generate_compression,
                            codec=generate_codec,
                            sync=sync_for(folder, i, "data"),
                            **common,
                        )
        except BaseException:
            self.abort()
            raise

    # --- input ------------------------------------------------------------------------------------

    def add(
        self,
        url: str,
        *,
        generate: Value | None = None,
        fetch: Value | list[Value] | None = None,
        content: Value | None = None,
        parse_data: Value | None = None,
        parse_text: Value | None = None,
        crawl_parse: Iterable[tuple[str, Value]] = (),
    ) -> None:
        """Add everything Nutch stores for one fetch-list URL.

        ``generate``: its crawl_generate CrawlDatum; ``fetch``: one or more crawl_fetch datums (a
        redirect target fetched in the same run has two); ``content``, ``parse_data``,
        ``parse_text``: None when absent (robots-denied, 404 without body, not parsed);
        ``crawl_parse``: (key URL, CrawlDatum) pairs the parse emitted (signature, outlinks, …).
        Values are Nutch objects or their serialized bytes.
        """
        if self._closed:
            raise ValueError("add to a closed SegmentWriter")
        key = serialize_key(url, TEXT)
        payload = url.encode("utf-8")
        if generate is not None and GENERATE in self.folders:
            g = url_partition(url, self.parts, self.generate_partition, self.partition_seed)
            if self.generate_order == "input":
                order = b""
            else:
                order = _hash_sort_key(generate_sort_hash(payload, self.generate_order == "hash_with_length"))
            offset, length = self._spill.put(
                _pack_bundle([(_CODE[GENERATE], key, serialize_value(generate))])
            )
            self._gen_sorters[g].add(order, self._next_seq(), offset, length)

        items: list[tuple[int, bytes, bytes]] = []
        fetches = [] if fetch is None else list(fetch) if isinstance(fetch, (list, tuple)) else [fetch]
        for folder, values in (
            (FETCH, fetches),
            (CONTENT, [content] if content is not None else []),
            (PARSE_DATA, [parse_data] if parse_data is not None else []),
            (PARSE_TEXT, [parse_text] if parse_text is not None else []),
        ):
            if folder in self.folders:
                items.extend((_CODE[folder], key, serialize_value(v)) for v in values)
        if CRAWL_PARSE in self.folders:
            items.extend(
                (_CODE[CRAWL_PARSE], serialize_key(k, TEXT), serialize_value(v)) for k, v in crawl_parse
            )
        if not items:
            return
        p = hash_partition(payload, self.parts)
        if self.presorted:
            last = self._last_url[p]
            if last is not None and payload < last:
                raise ValueError(
                    f"presorted input out of order: {url!r} after {last.decode('utf-8', 'replace')!r}"
                )
            self._last_url[p] = payload
            self._emit(p, items)
        else:
            offset, length = self._spill.put(_pack_bundle(items))
            self._fetch_sorters[p].add(payload, self._next_seq(), offset, length)

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _emit(self, part: int, items: Iterable[tuple[int, bytes, bytes]]) -> None:
        for code, key, value in items:
            self._writers[_FOLDER_OF[code], part].append_raw(key, value)

    # --- output -----------------------------------------------------------------------------------

    def close(self) -> SegmentSummary:
        """Sort, write every part, rename files into place, write ``_SUCCESS`` markers."""
        if self._closed:
            raise ValueError("SegmentWriter already closed")
        try:
            for p, sorter in enumerate(self._fetch_sorters):
                for _key, _seq, offset, length in sorter.sorted():
                    self._emit(p, _unpack_bundle(self._spill.get(offset, length)))
            if GENERATE in self.folders:
                for p, sorter in enumerate(self._gen_sorters):
                    for _key, _seq, offset, length in sorter.sorted():
                        self._emit(p, _unpack_bundle(self._spill.get(offset, length)))
            summary = SegmentSummary(self.path)
            for (folder, _p), w in sorted(self._writers.items()):
                w.close()
                count = w.size if isinstance(w, MapFileWriter) else w.records
                summary.records.setdefault(folder, []).append(count)
            if self.success_files:
                _write_marker(os.path.join(self.path, "_SUCCESS"), self.crc)
                if GENERATE in self.folders:
                    _write_marker(os.path.join(self.path, GENERATE, "_SUCCESS"), self.crc)
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._cleanup()
        return summary

    def abort(self) -> None:
        """Drop everything written so far (files being written, scratch data)."""
        self._closed = True
        for w in self._writers.values():
            w.abort()
        self._cleanup()

    def _cleanup(self) -> None:
        for s in (*self._fetch_sorters, *self._gen_sorters):
            s.close()
        self._spill.close()
        shutil.rmtree(self._scratch, ignore_errors=True)

    def __enter__(self) -> SegmentWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


# --- linkdb -----------------------------------------------------------------------------------------------


def write_linkdb(
    linkdb_dir: str,
    inlinks: Iterable[tuple[str, list[Inlink] | bytes]],
    *,
    compression: Compression = "RECORD",
    codec: str = "default",
    parts: int = 1,
    inlink_flag: bool = True,
    old_style: bool = False,
    sync_seed: str | None = None,
    crc: bool = True,
    max_in_memory: int = 100_000,
    overwrite: bool = False,
) -> list[str]:
    """Write a linkdb: ``linkdb_dir/current/part-r-NNNNN`` MapFiles of ``Inlinks``; return the part paths.

    As Nutch's LinkDb job writes it: output compression switched on (RECORD, DefaultCodec by
    default), HashPartitioner over the URL, keys sorted, no ``_SUCCESS`` marker (NUTCH-1069).
    ``inlink_flag`` selects the Nutch ≥ 1.21 Inlink layout with a metadata flag; False gives the
    0.9 – 1.20 layout. Inputs may come in any order; the same URL twice gives two records.
    """
    current = os.path.join(os.path.abspath(linkdb_dir), "current")
    os.makedirs(current, exist_ok=True)
    names = [part_name(i, old_style) for i in range(parts)]
    scratch = tempfile.mkdtemp(prefix=".ccdump-spill-", dir=current)
    spill = _Spill(scratch)
    sorters = [_ExternalSorter(scratch, max_in_memory) for _ in range(parts)]
    writers: list[MapFileWriter] = []
    try:
        for seq, (url, value) in enumerate(inlinks):
            if isinstance(value, (bytes, bytearray, memoryview)):
                data = bytes(value)
            else:
                out = DataOutput()
                write_inlinks(out, value, with_flag=inlink_flag)
                data = out.getvalue()
            payload = url.encode("utf-8")
            offset, length = spill.put(_pack_bundle([(0, serialize_key(url, TEXT), data)]))
            sorters[hash_partition(payload, parts)].add(payload, seq, offset, length)
        for i, name in enumerate(names):
            sync = make_sync(f"{sync_seed}/linkdb/{name}/data") if sync_seed is not None else None
            index_sync = make_sync(f"{sync_seed}/linkdb/{name}/index") if sync_seed is not None else None
            w = MapFileWriter(
                os.path.join(current, name),
                TEXT,
                linkdb.CLASS,
                compression=compression,
                codec=codec,
                sync=sync,
                index_sync=index_sync,
                sync_interval=OLD_SYNC_INTERVAL if old_style else SYNC_INTERVAL,
                crc=crc,
                overwrite=overwrite,
            )
            writers.append(w)
            for _key, _seq, offset, length in sorters[i].sorted():
                for _code, key, value in _unpack_bundle(spill.get(offset, length)):
                    w.append_raw(key, value)
            w.close()
    except BaseException:
        for w in writers:
            w.abort()
        raise
    finally:
        for s in sorters:
            s.close()
        spill.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return [os.path.join(current, n) for n in names]
