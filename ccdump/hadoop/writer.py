"""SequenceFile and MapFile writers that lay files out byte for byte as Hadoop does.

Why we write Hadoop files at all: to build test segments for every layout real crawls show (old
SEQ versions, UTF8 keys, every codec, several parts, 2 000-byte sync intervals) without a JVM,
and to produce sample data for benchmarks. Fidelity matters because readers key on details such as
where sync escapes sit and what an index entry points at, so this module follows Hadoop's
``SequenceFile.Writer`` / ``BlockCompressWriter`` / ``MapFile.Writer`` logic step by step
(spec hadoop-sequencefile.md §2–§5):

* header: versions 1–6 (6 by default), class names as UTF8 before version 4, Text afterwards;
* NONE / RECORD: before a record, an escape (``ff ff ff ff`` + sync) when the file position is
  ≥ last sync position + interval; the last sync position is the end of the previous escape (0 at
  first). Interval 102 400 (Hadoop ≥ 3) or 2 000 (:data:`OLD_SYNC_INTERVAL`, Hadoop ≤ 2);
* BLOCK: records buffered until key + value buffer bytes reach ``block_size`` (1 000 000) or
  close, each block preceded by an escape;
* MapFile: ``index`` BLOCK/DefaultCodec, an entry for the first key and then whenever ≥ 128 keys
  were appended since the last entry *and* the data position advanced; the position is
  ``data.length`` before the append, i.e. before any escape, and for BLOCK data the start of the
  pending block (its escape);
* ``.crc`` sidecars as Hadoop's local file system writes them (optional).

Re-writing the records of a Hadoop-written file with its sync marker reproduces the file byte for
byte for NONE and RECORD/BLOCK DefaultCodec (Python's zlib emits what Java's does); Snappy differs
only inside the raw Snappy chunks (a different compressor implementation), see the tests. One known
framing difference remains: a RECORD-compressed Snappy/LZ4 value larger than one chunk (~213 KiB
Snappy, ~255 KiB LZ4) is framed here as one block of several chunks, while Hadoop's
``BlockCompressorStream`` may start new blocks depending on how the Writable split its ``write``
calls. Readers accept both.

Files are written under a hidden temporary name (``.name.<pid>.inprogress``, which discovery
ignores) and renamed into place on :meth:`close`; an exception inside ``with`` removes them. Local
paths only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from ccdump.hadoop.codecs import DEFAULT_CODEC, Codec, get_codec
from ccdump.hadoop.crc import ChunkedCrc, sidecar_path
from ccdump.hadoop.sequencefile import LONG, MAGIC, SYNC_SIZE, TEXT, UTF8
from ccdump.hadoop.writables import DataOutput, encode_java_utf, encode_vlong, vint_size

Compression = Literal["NONE", "RECORD", "BLOCK"]
ValueSerializer = Callable[[Any], bytes]

SYNC_ESCAPE = b"\xff\xff\xff\xff"
#: Hadoop ≥ 3: ``SYNC_INTERVAL = 5 * 1024 * SYNC_SIZE`` with SYNC_SIZE = 4 + 16.
SYNC_INTERVAL = 5 * 1024 * (4 + SYNC_SIZE)
#: Hadoop ≤ 2: ``100 * SYNC_SIZE`` (an escape before almost every record in Nutch segments).
OLD_SYNC_INTERVAL = 100 * (4 + SYNC_SIZE)
#: ``io.seqfile.compress.blocksize``.
DEFAULT_BLOCK_SIZE = 1_000_000
#: ``io.map.index.interval``.
INDEX_INTERVAL = 128
CURRENT_VERSION = 6

INT = "org.apache.hadoop.io.IntWritable"
_I64 = struct.Struct(">q")
_I32 = struct.Struct(">i")


def text_hash(payload: bytes) -> int:
    """``Text.hashCode()`` (``WritableComparator.hashBytes``): 31-polynomial over the signed bytes, seed 1.

    Returned as a signed int32, as Java computes it.
    """
    h = 1
    for b in payload:
        h = (31 * h + (b - 256 if b > 127 else b)) & 0xFFFFFFFF
    return h - (1 << 32) if h > 0x7FFFFFFF else h


def hash_partition(payload: bytes, num_partitions: int) -> int:
    """Hadoop's ``HashPartitioner`` for a Text key: ``(hashCode & Integer.MAX_VALUE) % n``."""
    return (text_hash(payload) & 0x7FFFFFFF) % num_partitions


def make_sync(seed: str | bytes | None = None) -> bytes:
    """A 16-byte sync marker: MD5 of a unique string, as Hadoop makes it (``new UID() + "@" + time``).

    With ``seed`` the marker is derived from it, so a test or fixture can rebuild identical bytes.
    """
    if seed is None:
        seed = f"{uuid.uuid4()}@{time.time_ns()}"
    if isinstance(seed, str):
        seed = seed.encode("utf-8")
    return hashlib.md5(seed).digest()


# --- keys and values --------------------------------------------------------------------------------


def serialize_key(key: Any, key_class: str) -> bytes:
    """A key's serialization for ``key_class``.

    ``str`` keys are encoded for Text (VInt + UTF-8) or UTF8 (u16 + Java modified UTF-8); ``bytes``
    keys are the *payload* for those two classes (what :class:`~ccdump.hadoop.sequencefile.RawRecord`
    gives back as ``key``), and the complete serialization for any other class. ``int`` keys are
    written for LongWritable.
    """
    if key_class == TEXT:
        data = key.encode("utf-8") if isinstance(key, str) else bytes(key)
        return encode_vlong(len(data)) + data
    if key_class == UTF8:
        data = encode_java_utf(key) if isinstance(key, str) else bytes(key)
        if len(data) > 0xFFFF:
            raise ValueError(f"a UTF8 key is limited to 65535 bytes, got {len(data)}")
        return len(data).to_bytes(2, "big") + data
    if key_class == LONG and isinstance(key, int):
        return _I64.pack(key)
    if isinstance(key, (bytes, bytearray, memoryview)):
        return bytes(key)
    raise TypeError(f"cannot serialize a {type(key).__name__} key as {key_class}; pass serialized bytes")


def key_payload(serialized: bytes, key_class: str) -> bytes:
    """The bytes Hadoop's raw comparator orders by (Text/UTF8: after the length prefix)."""
    if key_class == TEXT:
        first = serialized[0] - 256 if serialized[0] > 127 else serialized[0]
        return serialized[vint_size(first) :]
    if key_class == UTF8:
        return serialized[2:]
    return serialized


def _sort_key(serialized: bytes, key_class: str) -> bytes | int:
    if key_class == LONG:
        return _I64.unpack(serialized)[0]
    return key_payload(serialized, key_class)


def serialize_value(value: Any, value_class: str, serializer: ValueSerializer | None = None) -> bytes:
    """A value's serialization: bytes pass through (already serialized, e.g. by the Nutch encoders).

    Otherwise ``serializer`` is used, then the simple Hadoop classes (Text/UTF8 from ``str``,
    LongWritable/IntWritable from ``int``), then the Nutch objects (Content, CrawlDatum, ParseData,
    ParseText, Inlinks) via :func:`ccdump.nutch.segment_writer.serialize_value`.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    if serializer is not None:
        return serializer(value)
    if isinstance(value, str) and value_class in (TEXT, UTF8):
        out = DataOutput()
        (out.text if value_class == TEXT else out.utf8)(value)
        return out.getvalue()
    if isinstance(value, int) and not isinstance(value, bool) and value_class in (LONG, INT):
        return (_I64 if value_class == LONG else _I32).pack(value)
    # Imported here: the Nutch layer builds on this module, not the other way round.
    from ccdump.nutch.segment_writer import serialize_value as nutch_serialize

    return nutch_serialize(value)


# --- output file ------------------------------------------------------------------------------------


class _Sink:
    """One output file under a temporary name: tracks the position, the CRC, renames on commit."""

    def __init__(self, path: str, *, crc: bool, overwrite: bool) -> None:
        self.path = path
        head, name = os.path.split(os.path.abspath(path))
        if not name:
            raise ValueError(f"not a file path: {path!r}")
        if os.path.exists(path) and not overwrite:
            raise FileExistsError(path)
        os.makedirs(head, exist_ok=True)
        self.tmp = os.path.join(head, f".{name}.{os.getpid()}.inprogress")
        self._f = open(self.tmp, "wb", buffering=1 << 20)  # noqa: SIM115 - closed in commit/abort
        self._crc = ChunkedCrc() if crc else None
        self.pos = 0

    def write(self, data: bytes | bytearray) -> None:
        self._f.write(data)
        self.pos += len(data)
        if self._crc is not None:
            self._crc.update(data)

    def commit(self) -> None:
        self._f.close()
        crc_target = sidecar_path(self.path)
        if self._crc is not None:
            crc_tmp = self.tmp + ".crc"
            with open(crc_tmp, "wb") as f:
                f.write(self._crc.sidecar())
            os.replace(crc_tmp, crc_target)
        elif os.path.exists(crc_target):
            os.remove(crc_target)  # a stale sidecar would no longer match
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self._f.close()
        for p in (self.tmp, self.tmp + ".crc"):
            if os.path.exists(p):
                os.remove(p)


# --- SequenceFile ------------------------------------------------------------------------------------


class SequenceFileWriter:
    """Write one SequenceFile (plain, e.g. ``crawl_generate/part-r-00000``, or a MapFile's data/index).

    >>> # with SequenceFileWriter(p, TEXT, CLASS, compression="RECORD") as w: w.append(url, value_bytes)
    """

    def __init__(
        self,
        path: str,
        key_class: str = TEXT,
        value_class: str = TEXT,
        *,
        compression: Compression = "NONE",
        codec: str = "default",
        version: int = CURRENT_VERSION,
        metadata: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        sync: bytes | None = None,
        sync_interval: int = SYNC_INTERVAL,
        block_size: int = DEFAULT_BLOCK_SIZE,
        crc: bool = False,
        overwrite: bool = False,
        value_serializer: ValueSerializer | None = None,
    ) -> None:
        compression = compression.upper()  # type: ignore[assignment]
        if compression not in ("NONE", "RECORD", "BLOCK"):
            raise ValueError(f"compression must be NONE, RECORD or BLOCK, not {compression!r}")
        if not 1 <= version <= CURRENT_VERSION:
            raise ValueError(f"SequenceFile version must be 1 to {CURRENT_VERSION}, not {version}")
        resolved = get_codec(codec)
        if resolved is None:
            raise ValueError(f"unknown codec {codec!r}")
        if compression != "NONE" and version < 3:
            raise ValueError(f"version {version} files cannot be compressed (needs version ≥ 3)")
        if compression == "BLOCK" and version < 4:
            raise ValueError(f"version {version} files cannot be BLOCK-compressed (needs version ≥ 4)")
        if compression != "NONE" and version < 5 and resolved.name != DEFAULT_CODEC:
            raise ValueError(f"version {version} headers name no codec, so only DefaultCodec is possible")
        meta = list(metadata.items()) if isinstance(metadata, Mapping) else list(metadata)
        if meta and version < 6:
            raise ValueError("header metadata needs version 6")
        if sync is not None and len(sync) != SYNC_SIZE:
            raise ValueError(f"a sync marker has {SYNC_SIZE} bytes, got {len(sync)}")
        if sync_interval <= 0 or block_size <= 0:
            raise ValueError("sync_interval and block_size must be positive")

        self.path = path
        self.key_class = key_class
        self.value_class = value_class
        self.compression: Compression = compression
        self.codec: Codec | None = resolved if compression != "NONE" else None
        self.version = version
        self.sync_marker: bytes | None = (sync or make_sync()) if version > 1 else None
        self.sync_interval = sync_interval
        self.block_size = block_size
        self.value_serializer = value_serializer
        #: Records appended so far.
        self.records = 0
        #: Sync escapes written (for BLOCK files: the number of blocks).
        self.sync_count = 0
        self._last_sync = 0
        self._block: list[bytearray] = [bytearray(), bytearray(), bytearray(), bytearray()]
        self._buffered = 0
        self._closed = False
        self._sink = _Sink(path, crc=crc, overwrite=overwrite)
        try:
            self._sink.write(self._header(meta))
        except BaseException:
            self._sink.abort()
            raise

    def _header(self, meta: list[tuple[str, str]]) -> bytes:
        out = DataOutput().raw(MAGIC).u8(self.version)
        string = out.utf8 if self.version < 4 else out.text
        string(self.key_class)
        string(self.value_class)
        if self.version > 2:
            out.boolean(self.compression != "NONE")
        if self.version >= 4:
            out.boolean(self.compression == "BLOCK")
        if self.codec is not None and self.version >= 5:
            out.text(self.codec.name)
        if self.version >= 6:
            # Hadoop keeps header metadata in a TreeMap<Text, Text>: sorted by the UTF-8 bytes.
            pairs = sorted(meta, key=lambda kv: kv[0].encode("utf-8"))
            out.i32(len(pairs))
            for k, v in pairs:
                out.text(k).text(v)
        if self.sync_marker is not None:
            out.raw(self.sync_marker)
        return out.getvalue()

    # --- public API --------------------------------------------------------------------------------

    @property
    def length(self) -> int:
        """Hadoop's ``getLength()``: bytes written to the file so far (a pending block not included)."""
        return self._sink.pos

    def append(self, key: Any, value: Any) -> None:
        """Append one record; see :func:`serialize_key` and :func:`serialize_value` for what is accepted."""
        self.append_raw(
            serialize_key(key, self.key_class),
            serialize_value(value, self.value_class, self.value_serializer),
        )

    def append_raw(self, key: bytes, value: bytes) -> None:
        """Append a record from the key's complete serialization and the value's serialization."""
        if self._closed:
            raise ValueError("append to a closed writer")
        if self.compression == "BLOCK":
            kl, kb, vl, vb = self._block
            kl += encode_vlong(len(key))
            kb += key
            vl += encode_vlong(len(value))
            vb += value
            self._buffered += 1
            self.records += 1
            if len(kb) + len(vb) >= self.block_size:
                self._flush_block()
            return
        stored = self.codec.compress(value) if self.codec is not None else value
        self._check_and_write_sync()
        self._sink.write(_I32.pack(len(key) + len(stored)) + _I32.pack(len(key)) + key)
        self._sink.write(stored)
        self.records += 1

    def sync(self) -> None:
        """Hadoop's public ``sync()``: write an escape now (RECORD/NONE) or flush the pending block."""
        if self.compression == "BLOCK":
            self._flush_block()
        else:
            self._write_sync()

    def close(self) -> None:
        if self._closed:
            return
        try:
            if self.compression == "BLOCK":
                self._flush_block()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        self._sink.commit()

    def abort(self) -> None:
        """Drop the file being written (nothing appears under the final name)."""
        if not self._closed:
            self._closed = True
            self._sink.abort()

    def __enter__(self) -> SequenceFileWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    # --- internals -------------------------------------------------------------------------------

    def _write_sync(self) -> None:
        if self.sync_marker is not None and self._last_sync != self._sink.pos:
            self._sink.write(SYNC_ESCAPE + self.sync_marker)
            self._last_sync = self._sink.pos
            self.sync_count += 1

    def _check_and_write_sync(self) -> None:
        if self.sync_marker is not None and self._sink.pos >= self._last_sync + self.sync_interval:
            self._write_sync()

    def _flush_block(self) -> None:
        if not self._buffered:
            return
        codec = self.codec
        assert codec is not None
        self._write_sync()
        out = bytearray(encode_vlong(self._buffered))
        for buf in self._block:
            packed = codec.compress(bytes(buf))
            out += encode_vlong(len(packed))
            out += packed
            buf.clear()
        self._sink.write(out)
        self._buffered = 0


# --- MapFile -----------------------------------------------------------------------------------------


class MapFileWriter:
    """Write one MapFile directory (``data`` + ``index``), e.g. ``content/part-r-00000``.

    Keys must arrive in Hadoop's order (raw bytes of the Text/UTF8 payload); equal keys are allowed,
    as in Hadoop (crawl_fetch can hold a URL twice). The directory is built under a hidden
    temporary name and renamed on :meth:`close`.
    """

    def __init__(
        self,
        path: str,
        key_class: str = TEXT,
        value_class: str = TEXT,
        *,
        compression: Compression = "NONE",
        codec: str = "default",
        version: int = CURRENT_VERSION,
        sync: bytes | None = None,
        index_sync: bytes | None = None,
        sync_interval: int = SYNC_INTERVAL,
        block_size: int = DEFAULT_BLOCK_SIZE,
        index_interval: int = INDEX_INTERVAL,
        crc: bool = False,
        overwrite: bool = False,
        value_serializer: ValueSerializer | None = None,
    ) -> None:
        if index_interval <= 0:
            raise ValueError("index_interval must be positive")
        self.path = os.path.abspath(path)
        if os.path.exists(self.path) and not overwrite:
            raise FileExistsError(path)
        head, name = os.path.split(self.path)
        self._tmp = os.path.join(head, f".{name}.{os.getpid()}.inprogress")
        if os.path.exists(self._tmp):
            shutil.rmtree(self._tmp)
        os.makedirs(self._tmp)
        self.key_class = key_class
        self.value_class = value_class
        self.value_serializer = value_serializer
        self.index_interval = index_interval
        self._closed = False
        try:
            self.data = SequenceFileWriter(
                os.path.join(self._tmp, "data"),
                key_class,
                value_class,
                compression=compression,
                codec=codec,
                version=version,
                sync=sync,
                sync_interval=sync_interval,
                block_size=block_size,
                crc=crc,
            )
            # MapFile.Writer prepends compression(BLOCK) for the index, so the data's codec never
            # reaches it: always BLOCK DefaultCodec (NONE for versions without block compression).
            self.index = SequenceFileWriter(
                os.path.join(self._tmp, "index"),
                key_class,
                LONG,
                compression="BLOCK" if version >= 4 else "NONE",
                codec="default",
                version=version,
                sync=index_sync,
                sync_interval=sync_interval,
                block_size=block_size,
                crc=crc,
            )
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        self.size = 0
        self._last_index_count: int | None = None
        self._last_index_pos = -1
        self._last_key: bytes | int | None = None
        #: (key payload, data offset) of every index entry written, for tests and diagnostics.
        self.index_entries: list[tuple[bytes, int]] = []

    def append(self, key: Any, value: Any) -> None:
        self.append_raw(
            serialize_key(key, self.key_class),
            serialize_value(value, self.value_class, self.value_serializer),
        )

    def append_raw(self, key: bytes, value: bytes) -> None:
        """``MapFile.Writer.append``: order check, maybe an index entry, then the data record."""
        if self._closed:
            raise ValueError("append to a closed writer")
        order = _sort_key(key, self.key_class)
        if self._last_key is not None and order < self._last_key:  # type: ignore[operator]
            raise ValueError(f"key out of order: {order!r} after {self._last_key!r}")
        self._last_key = order
        pos = self.data.length
        due = self._last_index_count is None or self.size >= self._last_index_count + self.index_interval
        if due and pos > self._last_index_pos:
            self.index.append_raw(key, _I64.pack(pos))
            self.index_entries.append((key_payload(key, self.key_class), pos))
            self._last_index_pos = pos
            self._last_index_count = self.size
        self.data.append_raw(key, value)
        self.size += 1

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.data.close()
            self.index.close()
        except BaseException:
            self.abort()
            raise
        self._closed = True
        if os.path.isdir(self.path) and not os.path.islink(self.path):
            shutil.rmtree(self.path)
        elif os.path.lexists(self.path):
            os.remove(self.path)
        os.rename(self._tmp, self.path)

    def abort(self) -> None:
        if not self._closed:
            self._closed = True
            self.data.abort()
            self.index.abort()
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> MapFileWriter:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
